"""The back-office admin at /admin/: identifications (read-only, closed by hand), organizations and their API
keys, document types, and the audit trail. Scoring configurations are in scoring/admin.py.

The site itself (titles, the dashboard at /admin/dashboard/) is identifications.back_office.BackOfficeAdminSite.
"""

from django.contrib import admin

from identifications.admin import events, identification, organization, reference, webhooks
from identifications.admin.display import mask_document_number


def _unregister_library_api_key_admin() -> None:
    """rest_framework_api_key registers an admin for its concrete APIKey model, which this project never uses."""
    try:
        import rest_framework_api_key.admin  # noqa: F401  (registers it now, whatever the app order)
        from rest_framework_api_key.models import APIKey
    except ImportError:
        return
    if admin.site.is_registered(APIKey):
        admin.site.unregister(APIKey)


_unregister_library_api_key_admin()

__all__ = ["events", "identification", "mask_document_number", "organization", "reference", "webhooks"]
