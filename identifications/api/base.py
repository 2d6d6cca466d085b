"""What every /v1/ viewset shares."""

from rest_framework import exceptions, viewsets


class APIViewSet(viewsets.GenericViewSet):
    """The base of the API's viewsets: the place for cross-cutting request handling (authorization answers,
    idempotency, throttling), so that each endpoint gets it by inheriting."""

    def permission_denied(self, request, message=None, code=None):
        # The contract knows no 403: every authorization failure is a 401.
        raise exceptions.AuthenticationFailed(message or "Not authorized.")
