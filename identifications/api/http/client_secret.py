"""The holder's client secret: `Authorization: Bearer idsec_...` opens one identification, until it expires."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from identifications.api.http.authentication import KEYWORD, BearerAPIKeyAuthentication
from identifications.client_secrets import hash_client_secret, looks_like_client_secret
from identifications.models import Identification, OrganizationAPIKey

MAX_SECRET_LENGTH = 100


@dataclass(frozen=True)
class HolderCredential:
    identification: Identification


class ClientSecretAuthentication(BearerAPIKeyAuthentication):
    """Tried before the API key: takes Bearer tokens that look like client secrets, leaves the rest."""

    def authenticate(self, request):
        keyword, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        token = token.strip()
        if keyword.lower() != KEYWORD.lower() or not looks_like_client_secret(token):
            return None
        if len(token) > MAX_SECRET_LENGTH:
            raise exceptions.AuthenticationFailed(gettext("The client secret is not valid."))
        identification = (
            Identification.objects.select_related("organization", "document_type", "configuration")
            .filter(client_secret_hash=hash_client_secret(token))
            .first()
        )
        if identification is None:
            raise exceptions.AuthenticationFailed(gettext("The client secret is not valid."))
        return (None, HolderCredential(identification))


class IsOrganizationKeyOrHolder(BasePermission):
    """The organization's API key, or the client secret of the very identification in the path, unexpired."""

    def has_permission(self, request, view):
        credential = request.auth
        org_id = view.kwargs.get("org_id")
        if isinstance(credential, OrganizationAPIKey):
            if credential.organization.slug != org_id:
                raise exceptions.AuthenticationFailed(gettext("The API key is not valid for this organization."))
            return True
        if isinstance(credential, HolderCredential):
            identification = credential.identification
            if (
                identification.organization.slug != org_id
                or str(identification.pk) != str(view.kwargs.get(view.lookup_url_kwarg, "")).lower()
            ):
                raise exceptions.AuthenticationFailed(
                    gettext("The client secret is not valid for this identification.")
                )
            if identification.is_past_expiry(timezone.now()):
                raise exceptions.AuthenticationFailed(gettext("The client secret has expired with its identification."))
            return True
        raise exceptions.NotAuthenticated(gettext("Authentication credentials were not provided."))
