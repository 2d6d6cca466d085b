"""Bearer API-key authentication: `Authorization: Bearer <prefix>.<secret>`."""

import re
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from identifications.models import OrganizationAPIKey

KEYWORD = "Bearer"
# A key is `prefix.secret` (8 and 32 letters or digits): anything else is refused before any query.
KEY_SHAPE = re.compile(r"^[A-Za-z0-9]{1,8}\.[A-Za-z0-9]{1,64}$")


class BearerAPIKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None  # The permission check answers 401 not_authenticated.
        keyword, _, key = header.partition(" ")
        key = key.strip()
        if keyword.lower() != KEYWORD.lower() or not KEY_SHAPE.match(key):
            raise exceptions.AuthenticationFailed("The Authorization header must be 'Bearer <API key>'.")
        try:
            api_key = OrganizationAPIKey.objects.get_from_key(key)
        except OrganizationAPIKey.DoesNotExist:
            raise exceptions.AuthenticationFailed("The API key is not valid.") from None
        now = timezone.now()
        if not api_key.is_usable(now):
            raise exceptions.AuthenticationFailed("The API key has expired.")
        _touch(api_key, now)
        # There is no user behind an API key: the organization acts through its key.
        return (None, api_key)

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) with `WWW-Authenticate: Bearer`.
        return KEYWORD


def _touch(api_key: OrganizationAPIKey, now) -> None:
    """Record use at a coarse resolution, so that steady traffic does not write on every request."""
    resolution = timedelta(seconds=settings.API_KEY_LAST_USED_RESOLUTION_SECONDS)
    if api_key.last_used_at is None or now - api_key.last_used_at >= resolution:
        OrganizationAPIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
