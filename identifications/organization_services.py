"""Organizations and their API keys: created, issued and revoked only through here."""

import logging

from django.db import transaction

from identifications.models import Organization, OrganizationAPIKey

logger = logging.getLogger(__name__)


class APIKeyNotFound(Exception):
    pass


def organization_create(*, slug: str, name: str = "", default_configuration=None) -> Organization:
    organization = Organization(slug=slug, name=name or slug, default_configuration=default_configuration)
    organization.full_clean()
    organization.save()
    logger.info("organization %s created", organization.slug)
    return organization


def api_key_issue(*, organization: Organization, name: str, expiry_date=None) -> tuple[OrganizationAPIKey, str]:
    """Create a key; the raw key is returned once and never stored (only its prefix and SHA-512 hash are)."""
    api_key, raw_key = OrganizationAPIKey.objects.create_key(
        organization=organization, name=name, expiry_date=expiry_date
    )
    logger.info("API key %s issued for organization %s", api_key.prefix, organization.slug)
    return api_key, raw_key


def api_key_revoke(*, prefix: str) -> OrganizationAPIKey:
    """Revoke a key by its prefix. Revoking is final (the library refuses to un-revoke)."""
    with transaction.atomic():
        try:
            api_key = OrganizationAPIKey.objects.select_for_update().get(prefix=prefix)
        except OrganizationAPIKey.DoesNotExist:
            raise APIKeyNotFound(f"No API key has the prefix {prefix!r}.") from None
        if not api_key.revoked:
            api_key.revoked = True
            api_key.save(update_fields=["revoked"])
            logger.info("API key %s revoked", api_key.prefix)
    return api_key
