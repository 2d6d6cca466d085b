from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from identifications.models import OrganizationAPIKey


class IsOrganizationAPIKey(BasePermission):
    """The request's API key belongs to the organization named by `org_id` in the path.

    A key of another organization and an unknown organization get the same 401, so that the API never tells
    whether an organization exists.
    """

    def has_permission(self, request, view):
        api_key = request.auth
        if not isinstance(api_key, OrganizationAPIKey):
            raise exceptions.NotAuthenticated(gettext("Authentication credentials were not provided."))
        if api_key.organization.slug != view.kwargs.get("org_id"):
            raise exceptions.AuthenticationFailed(gettext("The API key is not valid for this organization."))
        return True
