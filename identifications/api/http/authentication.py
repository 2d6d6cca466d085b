"""Bearer API-key authentication: `Authorization: Bearer <prefix>.<secret>`."""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from identifications.actors import Actor
from identifications.models import OrganizationAPIKey
from identifications.selectors import api_keys as key_cache

KEYWORD = "Bearer"
# A key is `prefix.secret` (8 and 32 letters or digits): anything else is refused before any query.
KEY_SHAPE = re.compile(r"^[A-Za-z0-9]{1,8}\.[A-Za-z0-9]{1,64}$")


@dataclass(frozen=True)
class APIKeyCredential:
    """The organization's API key, as a credentials.Credential: any identification of its own organization."""

    api_key: OrganizationAPIKey
    identification = None

    @property
    def organization(self):
        return self.api_key.organization

    @property
    def actor(self) -> Actor:
        return Actor.api_key(self.api_key)

    @property
    def rate_limit_scope(self) -> str:
        # The non-secret prefix.
        return f"key:{self.api_key.prefix}"

    def check_access(self, *, org_id: str, identification_id: str | None) -> None:
        # A key of another organization and an unknown organization get the same 401, so that the API never tells
        # whether an organization exists; an identification of another organization is then a 404.
        if self.api_key.organization.slug != org_id:
            raise exceptions.AuthenticationFailed(gettext("The API key is not valid for this organization."))


class BearerAPIKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None  # The permission check answers 401 not_authenticated.
        keyword, _, key = header.partition(" ")
        key = key.strip()
        if keyword.lower() != KEYWORD.lower() or not KEY_SHAPE.match(key):
            raise exceptions.AuthenticationFailed(gettext("The Authorization header must be 'Bearer <API key>'."))
        # The row comes from a cache of a few seconds (selectors.api_keys); the secret is checked every time.
        api_key = key_cache.usable_key(key.partition(".")[0])
        if api_key is None or not api_key.is_valid(key):
            raise exceptions.AuthenticationFailed(gettext("The API key is not valid."))
        now = timezone.now()
        if not api_key.is_usable(now):
            raise exceptions.AuthenticationFailed(gettext("The API key has expired."))
        if _touch(api_key, now):
            key_cache.remember(api_key)
        # There is no user behind an API key: the organization acts through its key.
        return (None, APIKeyCredential(api_key))

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) with `WWW-Authenticate: Bearer`.
        return KEYWORD


def _touch(api_key: OrganizationAPIKey, now) -> bool:
    """Record use at a coarse resolution, so that steady traffic does not write on every request. True if written."""
    resolution = timedelta(seconds=settings.API_KEY_LAST_USED_RESOLUTION_SECONDS)
    if api_key.last_used_at is None or now - api_key.last_used_at >= resolution:
        OrganizationAPIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
        return True
    return False
