"""The holder's client secret: `Authorization: Bearer idsec_...` opens one identification, until it expires."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import exceptions

from identifications.actors import Actor
from identifications.api.http.authentication import KEYWORD, BearerAPIKeyAuthentication
from identifications.client_secrets import hash_client_secret, looks_like_client_secret
from identifications.models import Identification

MAX_SECRET_LENGTH = 100


@dataclass(frozen=True)
class HolderCredential:
    """The holder's client secret, as a credentials.Credential: its one identification, until it expires."""

    identification: Identification

    @property
    def organization(self):
        return self.identification.organization

    @property
    def actor(self) -> Actor:
        return Actor.holder()

    @property
    def rate_limit_scope(self) -> str:
        # Counted per identification: the secret itself never reaches the rate limiter's store.
        return f"holder:{self.identification.pk}"

    def check_access(self, *, org_id: str, identification_id: str | None) -> None:
        identification = self.identification
        if identification.organization.slug != org_id or str(identification.pk) != str(identification_id or "").lower():
            raise exceptions.AuthenticationFailed(gettext("The client secret is not valid for this identification."))
        if identification.is_past_expiry(timezone.now()):
            raise exceptions.AuthenticationFailed(gettext("The client secret has expired with its identification."))


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
