from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from identifications.models import DocumentType, Organization, OrganizationAPIKey
from identifications.selectors import api_keys as key_cache
from identifications.selectors.reference import forget_reference_rows
from scoring.models import Configuration


@receiver([post_save, post_delete], sender=DocumentType)
@receiver([post_save, post_delete], sender=Configuration)
def reference_row_changed(**kwargs):
    forget_reference_rows()


# A key revoked or deleted (also by deleting its organization, which cascades), or an organization changed, takes
# effect at once wherever the cache is shared (CACHE_URL), and at once in this process with the per-process default.
@receiver([post_save, post_delete], sender=OrganizationAPIKey)
def api_key_changed(instance, **kwargs):
    key_cache.forget(instance.prefix)


@receiver(post_save, sender=Organization)
def organization_changed(instance, created, **kwargs):
    if not created:
        for prefix in instance.api_keys.values_list("prefix", flat=True):
            key_cache.forget(prefix)
