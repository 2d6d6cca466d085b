"""API key rows cached for a few seconds, so that authentication costs no query on most requests.

Every API request starts by reading its key (joined to its organization). The row is cached by its prefix (never by
the secret: the secret is checked against the cached hash on every request) for API_KEY_CACHE_SECONDS, 5 by
default. Revoking or deleting a key, deleting its organization or changing it drops the row from the cache at once
(identifications/signals.py): everywhere with a shared cache (CACHE_URL), else in the process that made the change
and in every other process within API_KEY_CACHE_SECONDS. A key whose organization is gone is a 401 even then
(api/http/base.py), never a 500. Expiry is checked on every
request against the cached row, so an expired key stops at its expiry date exactly. The organization travels with
the key, so a change to it (scoring URL, default configuration) also reaches the API within that time.
0 turns the cache off.
"""

from django.conf import settings
from django.core.cache import cache

from identifications.models import OrganizationAPIKey

VERSION = 1


def _cache_key(prefix: str) -> str:
    return f"api-key:v{VERSION}:{prefix}"


def _seconds() -> int:
    return getattr(settings, "API_KEY_CACHE_SECONDS", 5)


def usable_key(prefix: str) -> OrganizationAPIKey | None:
    """The unrevoked key with this prefix, with its organization: from the cache, else one query."""
    seconds = _seconds()
    if seconds > 0:
        api_key = cache.get(_cache_key(prefix))
        if api_key is not None:
            return api_key
    api_key = OrganizationAPIKey.objects.get_usable_keys().filter(prefix=prefix).first()
    if api_key is not None:
        remember(api_key)
    return api_key


def remember(api_key: OrganizationAPIKey) -> None:
    """Cache the row as it is now (after a change such as its last use being recorded)."""
    seconds = _seconds()
    if seconds > 0:
        cache.set(_cache_key(api_key.prefix), api_key, seconds)


def forget(prefix: str) -> None:
    cache.delete(_cache_key(prefix))
