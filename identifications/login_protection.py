"""The admin login's brute-force protection: django-axes, with one deliberate difference."""

from axes.backends import AxesBackend as _AxesBackend


class AxesBackend(_AxesBackend):
    """django-axes' lockout check, skipped for authenticate() calls that carry no request.

    Axes refuses those with an error, but every login over HTTP passes its request (the admin's login form does,
    and it is the only password login here), so what has none is in-process code: management commands, the test
    client's login(). Brute force needs HTTP; in-process callers already hold the password.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
