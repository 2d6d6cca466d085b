from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from identifications.models import DocumentType
from identifications.selectors.reference import forget_reference_rows
from scoring.models import Configuration


@receiver([post_save, post_delete], sender=DocumentType)
@receiver([post_save, post_delete], sender=Configuration)
def reference_row_changed(**kwargs):
    forget_reference_rows()
