"""Organizations and their API keys: created, issued and revoked only through here."""

import logging
from typing import cast

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from identifications.models import Organization, OrganizationAPIKey
from identifications.selectors import api_keys as key_cache
from scoring.secrets import scoring_signing_secret

logger = logging.getLogger(__name__)


class APIKeyNotFound(Exception):
    pass


class ScoringSecretRotationConflict(Exception):
    """The scoring signing secret was rotated by someone else since `organization` was read."""


def organization_create(*, slug: str, name: str = "", default_configuration=None) -> Organization:
    organization = Organization(slug=slug, name=name or slug, default_configuration=default_configuration)
    organization.full_clean()
    organization.save()
    logger.info("organization %s created", organization.slug)
    return organization


def api_key_issue(*, organization: Organization, name: str, expiry_date=None) -> tuple[OrganizationAPIKey, str]:
    """Create a key; the raw key is returned once and never stored (only its prefix and SHA-512 hash are)."""
    created, raw_key = OrganizationAPIKey.objects.create_key(
        organization=organization, name=name, expiry_date=expiry_date
    )
    # The library's manager is typed for its abstract model; ours creates OrganizationAPIKey rows.
    api_key = cast(OrganizationAPIKey, created)
    logger.info("API key %s issued for organization %s", api_key.prefix, organization.slug)
    return api_key, raw_key


def api_key_revoke(*, prefix: str) -> OrganizationAPIKey:
    """Revoke a key by its prefix. Revoking is final (the library refuses to un-revoke)."""
    with transaction.atomic():
        try:
            api_key = OrganizationAPIKey.objects.select_for_update().get(prefix=prefix)
        except OrganizationAPIKey.DoesNotExist:
            raise APIKeyNotFound(gettext("No API key has the prefix %(prefix)r.") % {"prefix": prefix}) from None
        if not api_key.revoked:
            api_key.revoked = True
            api_key.save(update_fields=["revoked"])
            logger.info("API key %s revoked", api_key.prefix)
    # At once in this process; other processes drop their cached row within API_KEY_CACHE_SECONDS.
    key_cache.forget(prefix)
    return api_key


def scoring_secret_rotate(*, organization: Organization) -> bytes:
    """Move the organization to a new EXTERNAL scoring signing secret and return it; the old one stops at once.

    The version only moves from the one `organization` was read with, so two rotations racing each other never
    both succeed: the loser gets ScoringSecretRotationConflict instead of a secret that is already replaced.
    """
    seen = organization.scoring_secret_version
    rotated = Organization.objects.filter(pk=organization.pk, scoring_secret_version=seen).update(
        scoring_secret_version=F("scoring_secret_version") + 1, updated_at=timezone.now()
    )
    if not rotated:
        raise ScoringSecretRotationConflict(f"The scoring signing secret of {organization.slug} was rotated meanwhile.")
    organization.scoring_secret_version = seen + 1
    logger.info("scoring signing secret of organization %s rotated to version %d", organization.slug, seen + 1)
    return scoring_signing_secret(organization)
