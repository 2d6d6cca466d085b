"""Identifications in the admin: a read-only, index-friendly list and detail, and closing by hand."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from identifications.actors import Actor
from identifications.admin.attempts import EVIDENCE_URL_NAME, ScoringAttemptInline, evidence_view
from identifications.admin.bulk_close import close_selected
from identifications.admin.display import (
    conceal_document_number,
    conceal_in_json,
    mask_document_number,
    parse_uuid,
    status_badge,
)
from identifications.admin.event_reasons import MaskedEventReasonMixin
from identifications.admin.export import export_csv, has_reveal_permission
from identifications.admin.filters import FilterParametersOnlyMixin, OrganizationSlugFilter, OutcomeFilter
from identifications.admin.forms import CLOSE_REASON_HELP, ReasonForm
from identifications.admin.pages import model_admin_page_context
from identifications.admin.pagination import BoundedCountPaginator
from identifications.admin.read_only import IdentificationChildInline, ReadOnlyAdminMixin
from identifications.admin.redaction import has_redact_permission, redact_selected
from identifications.admin.webhooks import EventInline
from identifications.documents import normalise_document_number
from identifications.errors import IdentificationNotFound, IdentificationNotOpen
from identifications.models import Identification, IdentificationEvent
from identifications.permissions import CAN_CLOSE
from identifications.services.lifecycle import identification_close


class IdentificationEventInline(MaskedEventReasonMixin, IdentificationChildInline):
    """The identification's history, oldest first; nobody edits it."""

    model = IdentificationEvent
    fields = ("created_at", "from_status", "to_status", "actor_type", "actor", "reason")
    readonly_fields = fields
    show_change_link = False
    verbose_name = _("event")
    verbose_name_plural = _("History")


# Fields shown another way to staff without the document-number permission: the number masked, and free text that
# may quote it (a close reason, scoring check reasons) with the number masked inside.
_MASKED_FIELDS = {
    "document_number": "masked_document_number",
    "close_reason": "masked_close_reason",
    "result": "masked_result",
}


def _masked(field: str) -> str:
    return _MASKED_FIELDS.get(field, field)


@admin.register(Identification)
class IdentificationAdmin(FilterParametersOnlyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "organization",
        "status_display",
        "document_type",
        "masked_document_number",
        "configuration",
        "attempts",
        "scoring_provider",
        "created_at",
        "expires_at",
    )
    list_select_related = ("organization", "document_type", "configuration")
    list_filter = (
        "status",
        OutcomeFilter,
        OrganizationSlugFilter,
        "document_type",
        "configuration",
        "scoring_provider",
        "created_at",
    )
    # What list_filter's links put in the query string (tests/admin/test_document_number_leaks.py checks them).
    filter_parameters = frozenset(
        {
            "status__exact",
            "outcome",
            "organization",
            "document_type__id__exact",
            "document_type__isnull",
            "configuration__id__exact",
            "scoring_provider__exact",
            "created_at__gte",
            "created_at__lt",
        }
    )
    # Searched by get_search_results below; listed so the changelist shows its search box.
    search_fields = ("id", "name", "last_name", "document_number")
    search_help_text = _("An identification id, a document number (exact; spaces and hyphens are ignored), or a name.")
    ordering = ("-created_at",)
    list_per_page = 50
    # The table is huge: no COUNT(*) of the whole table, no facet counts.
    show_full_result_count = False
    # ...and the filtered count stops at 10,000 rows (then estimated): no COUNT(*) over millions of rows.
    paginator = BoundedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    actions = [close_selected, redact_selected, export_csv]
    inlines = [IdentificationEventInline, ScoringAttemptInline, EventInline]
    fieldsets = (
        (None, {"fields": ("id", "organization", "status_display", "configuration", "scoring_provider")}),
        (_("Person"), {"fields": ("name", "last_name", "document_type", "document_number", "document_country")}),
        (_("Scoring"), {"fields": ("attempts_used", "attempt_processing", "result")}),
        (_("Dates"), {"fields": ("created_at", "updated_at", "expires_at", "closed_at", "close_reason")}),
    )
    readonly_fields = (
        "id",
        "organization",
        "status_display",
        "configuration",
        "scoring_provider",
        "name",
        "last_name",
        "document_type",
        "document_number",
        "document_country",
        "attempts_used",
        "attempt_processing",
        "result",
        "created_at",
        "updated_at",
        "expires_at",
        "closed_at",
        "close_reason",
    )

    def has_close_permission(self, request, obj=None):
        return request.user.has_perm(CAN_CLOSE)

    def has_redact_permission(self, request, obj=None):
        return has_redact_permission(request)

    def has_reveal_permission(self, request, obj=None):
        return has_reveal_permission(request)

    # The full document number only for staff with the dedicated permission; everyone else sees it masked.
    def get_fieldsets(self, request, obj=None):
        if has_reveal_permission(request):
            return self.fieldsets
        return tuple(
            (title, {**options, "fields": tuple(_masked(field) for field in options["fields"])})
            for title, options in self.fieldsets
        )

    def get_readonly_fields(self, request, obj=None):
        if has_reveal_permission(request):
            return self.readonly_fields
        return tuple(_masked(field) for field in self.readonly_fields)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj):
        if obj.is_due_for_expiry(timezone.now()):
            return status_badge(
                obj.status,
                gettext("%(status)s (past expiry)") % {"status": obj.get_status_display()},
                title=gettext("Past its expiry: it will be persisted as EXPIRED by the next read or expiry run."),
            )
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description=_("document number"))
    def masked_document_number(self, obj):
        return mask_document_number(obj.document_number)

    @admin.display(description=_("close reason"))
    def masked_close_reason(self, obj):
        return conceal_document_number(obj.close_reason, obj.document_number)

    @admin.display(description=_("result"))
    def masked_result(self, obj):
        return conceal_in_json(obj.result, obj.document_number)

    # Not sortable: attempts_used has no index, and sorting the whole table by it would read all of it.
    @admin.display(description=_("attempts"))
    def attempts(self, obj):
        return obj.attempts_used

    def get_search_results(self, request, queryset, search_term):
        """Exact matches only where the table is indexed: id and document number; names by substring.

        A term with a digit is an id or a document number, never a name, so it is looked up through an
        index alone; `icontains` on document_number would read the whole table.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        identification_id = parse_uuid(term)
        if identification_id is not None:
            return queryset.filter(pk=identification_id), False
        number = normalise_document_number(term)
        if any(character.isdigit() for character in term):
            return queryset.filter(document_number=number), False
        names = Q()
        for word in term.split():
            names &= Q(name__icontains=word) | Q(last_name__icontains=word)
        # Letters only: a name, or a passport number made of letters.
        return queryset.filter(names | Q(document_number=number)), False

    def get_urls(self):
        return [
            path(
                "<path:object_id>/close/",
                self.admin_site.admin_view(self.close_view),
                name="identifications_identification_close",
            ),
            path(
                "<path:object_id>/attempts/<uuid:attempt_uuid>/evidence/",
                self.admin_site.admin_view(self.evidence_view),
                name=EVIDENCE_URL_NAME,
            ),
            *super().get_urls(),
        ]

    def evidence_view(self, request, object_id, attempt_uuid):
        return evidence_view(self, request, object_id, attempt_uuid)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["show_close_button"] = (
            obj is not None and self.has_close_permission(request, obj) and obj.is_open_at(timezone.now())
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def close_view(self, request, object_id):
        if not (self.has_view_permission(request) and self.has_close_permission(request)):
            raise PermissionDenied
        identification = self.get_object(request, unquote(object_id))
        if identification is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        detail_url = reverse("admin:identifications_identification_change", args=[identification.pk])
        if not identification.is_open:
            messages.error(
                request,
                gettext("Identification %(id)s is %(status)s, not PENDING.")
                % {"id": identification.pk, "status": identification.status},
            )
            return HttpResponseRedirect(detail_url)
        form = ReasonForm(request.POST if request.method == "POST" else None, help_text=CLOSE_REASON_HELP)
        if form.is_valid():
            try:
                identification_close(
                    identification_id=identification.pk,
                    actor=Actor.staff(request.user),
                    reason=form.cleaned_data["reason"],
                )
            except IdentificationNotOpen as error:
                messages.error(
                    request,
                    gettext("Identification %(id)s was not closed: %(error)s")
                    % {"id": identification.pk, "error": error.message},
                )
            except IdentificationNotFound:
                messages.error(request, gettext("Identification %(id)s no longer exists.") % {"id": identification.pk})
                return HttpResponseRedirect(reverse("admin:identifications_identification_changelist"))
            else:
                messages.success(request, gettext("Identification %(id)s closed.") % {"id": identification.pk})
            return HttpResponseRedirect(detail_url)
        context = model_admin_page_context(
            self,
            request,
            title=gettext("Close identification"),
            subtitle=str(identification.pk),
            has_view_permission=True,
            original=identification,
            form=form,
            detail_url=detail_url,
        )
        return TemplateResponse(request, "admin/identifications/identification/close_confirmation.html", context)
