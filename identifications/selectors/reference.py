"""Cached reads of rarely-changing reference rows: document types and scoring configurations.

They are read on every create request, so they are cached (per process with the default local-memory cache,
shared with a shared CACHE_URL) for REFERENCE_CACHE_SECONDS and dropped whenever staff save or delete one.
"""

from django.conf import settings
from django.core.cache import cache

from identifications.models import DocumentType
from scoring.models import Configuration

# Versioned: rows pickled by an older release (without a newer field) are never read by a newer one.
DOCUMENT_TYPES_KEY = "reference:document-types:v2"
CONFIGURATIONS_KEY = "reference:configurations:v2"
DEFAULT_CONFIGURATION_NAME = "MEDIUM"


def active_document_types() -> dict[str, DocumentType]:
    """Active document types by code."""
    return cache.get_or_set(
        DOCUMENT_TYPES_KEY,
        lambda: {row.code: row for row in DocumentType.objects.filter(active=True)},
        settings.REFERENCE_CACHE_SECONDS,
    )


def configurations() -> dict[str, Configuration]:
    """Scoring configurations by name."""
    return cache.get_or_set(
        CONFIGURATIONS_KEY,
        lambda: {row.name: row for row in Configuration.objects.all()},
        settings.REFERENCE_CACHE_SECONDS,
    )


def configuration_by_id(configuration_id: int) -> Configuration | None:
    return next((row for row in configurations().values() if row.pk == configuration_id), None)


def default_configuration(organization) -> Configuration | None:
    if organization.default_configuration_id is not None:
        return configuration_by_id(organization.default_configuration_id)
    return configurations().get(DEFAULT_CONFIGURATION_NAME)


def forget_reference_rows() -> None:
    cache.delete_many([DOCUMENT_TYPES_KEY, CONFIGURATIONS_KEY])
