"""Document types, edited by staff; saving one drops the cached reference rows (identifications.signals)."""

from django.contrib import admin

from identifications.models import DocumentType


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "label", "number_pattern", "number_validator", "country", "active")
    list_filter = ("active", "number_validator", "country")
    search_fields = ("code", "label")
    fields = ("code", "label", "number_pattern", "number_validator", "country", "active", "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        # The code is a value of the API's document_type: renaming it would change the contract under clients.
        # Deactivate a type and add another instead.
        if obj is not None:
            return ("code", *self.readonly_fields)
        return self.readonly_fields
