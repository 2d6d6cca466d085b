"""The audit trail, read-only: every status transition of every identification."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from identifications.admin.display import parse_uuid
from identifications.admin.display import reason as masked_reason
from identifications.admin.event_reasons import MaskedEventReasonMixin
from identifications.admin.export import has_reveal_permission
from identifications.admin.filters import FilterParametersOnlyMixin
from identifications.admin.pagination import BoundedCountPaginator
from identifications.admin.read_only import ReadOnlyAdminMixin
from identifications.models import IdentificationEvent


@admin.register(IdentificationEvent)
class IdentificationEventAdmin(MaskedEventReasonMixin, FilterParametersOnlyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "identification_link", "from_status", "to_status", "actor_type", "actor", "reason")
    list_filter = ("actor_type", "to_status")
    filter_parameters = frozenset({"actor_type__exact", "to_status__exact"})
    search_fields = ("identification__id", "actor")
    search_help_text = _("An identification id, or an actor (exact: API key prefix, staff username, command).")
    # The primary key follows insertion order and is indexed; created_at alone is not.
    ordering = ("-id",)
    list_per_page = 50
    show_full_result_count = False
    # ...and the filtered count stops at 10,000 rows (then estimated): no COUNT(*) over millions of rows.
    paginator = BoundedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    fields = (
        "identification_link",
        "created_at",
        "from_status",
        "to_status",
        "actor_type",
        "actor",
        "staff_user",
        "reason",
    )
    readonly_fields = fields

    def get_list_display(self, request):
        if has_reveal_permission(request):
            return self.list_display
        return tuple(masked_reason if field == "reason" else field for field in self.list_display)

    @admin.display(description=_("identification"))
    def identification_link(self, obj):
        # From the foreign key column: no join, no query per row.
        url = reverse("admin:identifications_identification_change", args=[obj.identification_id])
        return format_html('<a href="{}">{}</a>', url, obj.identification_id)

    def get_search_results(self, request, queryset, search_term):
        # Exact matches on indexed columns only: an id uses the (identification, created_at) index.
        term = search_term.strip()
        if not term:
            return queryset, False
        identification_id = parse_uuid(term)
        if identification_id is not None:
            return queryset.filter(identification_id=identification_id), False
        return queryset.filter(actor=term), False
