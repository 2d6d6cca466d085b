"""Audit events shown to staff: their free-text reasons may quote the identification's document number, so staff
without the reveal permission see them masked (the events admin and the history inline share this)."""

from django.db.models import F

from identifications.admin.display import reason as masked_reason
from identifications.admin.export import has_reveal_permission


class MaskedEventReasonMixin:
    def get_fields(self, request, obj=None):
        if has_reveal_permission(request):
            return self.fields
        return tuple(masked_reason if field == "reason" else field for field in self.fields)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        # The number to mask comes with each event, in the same query (a join on the primary key).
        return (
            super().get_queryset(request).annotate(identification_document_number=F("identification__document_number"))
        )
