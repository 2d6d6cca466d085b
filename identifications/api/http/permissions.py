from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.permissions import BasePermission


class CredentialMayAccess(BasePermission):
    """The request's credential (credentials.Credential) may act on the organization named by `org_id` in the path,
    and on the identification in the path if there is one. Which credentials a viewset takes is its authentication
    classes' business; each credential says for itself why it is refused (a 401)."""

    def has_permission(self, request, view):
        credential = request.auth
        if credential is None:
            raise exceptions.NotAuthenticated(gettext("Authentication credentials were not provided."))
        credential.check_access(
            org_id=view.kwargs.get("org_id"), identification_id=view.kwargs.get(view.lookup_url_kwarg or "pk")
        )
        return True
