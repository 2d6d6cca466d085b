"""CSV export of the (filtered, selected) changelist, for staff allowed to see full document numbers."""

import csv

from django.contrib import admin
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identifications.permissions import CAN_REVEAL_DOCUMENT_NUMBER

COLUMNS = (
    "id",
    "organization",
    "status",
    "document_type",
    "document_number",
    "document_country",
    "configuration",
    "scoring_provider",
    "attempts_used",
    "created_at",
    "expires_at",
    "closed_at",
    "redacted_at",
)


class _Echo:
    """csv.writer writes into this and gets the line back, so rows stream instead of piling up in memory."""

    def write(self, value):
        return value


def _rows(queryset):
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    rows = queryset.select_related("organization", "document_type", "configuration").order_by("-created_at", "-id")
    for identification in rows.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                identification.pk,
                identification.organization.slug,
                identification.status,
                identification.document_type.code if identification.document_type_id else "",
                identification.document_number or "",
                str(identification.document_country or ""),
                identification.configuration.name,
                identification.scoring_provider,
                identification.attempts_used,
                _iso(identification.created_at),
                _iso(identification.expires_at),
                _iso(identification.closed_at),
                _iso(identification.redacted_at),
            ]
        )


def _iso(moment) -> str:
    return moment.isoformat() if moment else ""


@admin.action(description=_("Export selected identifications as CSV"), permissions=["reveal"])
def export_csv(modeladmin, request, queryset):
    # "Select all N" across pages hands over the whole filtered queryset: stream it in chunks.
    response = StreamingHttpResponse(_rows(queryset), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="identifications-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def has_reveal_permission(request) -> bool:
    return request.user.has_perm(CAN_REVEAL_DOCUMENT_NUMBER)
