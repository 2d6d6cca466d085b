"""An identification's scoring attempts on its detail page, and their evidence images behind a permission.

Evidence is personal data: it is stored through Django's storage API and never served under MEDIA_URL. The only
way to see it is `evidence_view`, which checks `scoring.view_evidence` on every request and streams the file from
storage with headers that keep browsers and proxies from caching it or guessing its type.
"""

import logging

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from identifications.admin.display import conceal_in_json
from identifications.admin.export import has_reveal_permission
from identifications.admin.read_only import IdentificationChildInline
from identifications.permissions import CAN_VIEW_EVIDENCE
from scoring.models import ScoringAttempt

logger = logging.getLogger(__name__)

# What validate stores (sniffed from the bytes); anything else is served as opaque bytes, never rendered.
EVIDENCE_CONTENT_TYPES = frozenset({"image/png", "image/jpeg"})
EVIDENCE_URL_NAME = "identifications_identification_attempt_evidence"
# One line per check, readable without colour: "✘ name_matches failed, weight 20: <reason>".
CHECK_ROW = '<span class="attempt-check check-{}" style="display:block">{} <strong>{}</strong> {}{}</span>'


def evidence_url(attempt) -> str:
    return reverse(f"admin:{EVIDENCE_URL_NAME}", args=[attempt.identification_id, attempt.uuid])


def has_view_evidence_permission(request) -> bool:
    return request.user.has_perm(CAN_VIEW_EVIDENCE)


class ScoringAttemptInline(IdentificationChildInline):
    """Every attempt, first to last: score, outcome, each check, the device it came from and, for staff allowed to
    see it, a link to the evidence image."""

    model = ScoringAttempt
    fields = ("number", "created_at", "provider", "state", "score", "passed", "checks_display", "device_display")
    readonly_fields = fields
    show_change_link = False
    verbose_name = _("scoring attempt")
    verbose_name_plural = _("Scoring attempts")

    def get_fields(self, request, obj=None):
        if has_view_evidence_permission(request):
            return (*self.fields, "evidence_link")
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if has_reveal_permission(request):
            return queryset
        # A provider's check reasons are free text that may quote the number: it comes along to be masked.
        return queryset.annotate(concealed_document_number=F("identification__document_number"))

    @admin.display(description=_("checks"))
    def checks_display(self, attempt):
        checks = [check for check in attempt.checks or [] if isinstance(check, dict)]
        checks = conceal_in_json(checks, getattr(attempt, "concealed_document_number", None))
        if not checks:
            return "-"
        return format_html(
            '<span class="attempt-checks">{}</span>',
            format_html_join(
                "",
                CHECK_ROW,
                (_check_row(check) for check in checks),
            ),
        )

    @admin.display(description=_("device"))
    def device_display(self, attempt):
        located = attempt.latitude is not None and attempt.longitude is not None
        lines = (
            ("installation", gettext("installation id"), attempt.installation_id),
            ("fingerprint", gettext("fingerprint"), attempt.fingerprint),
            ("user-agent", gettext("user agent"), attempt.user_agent),
            ("location", gettext("location (lat, lon)"), f"{attempt.latitude}, {attempt.longitude}" if located else ""),
            ("ip", gettext("IP address"), attempt.ip_address),
        )
        return format_html(
            '<span class="attempt-device">{}</span>',
            format_html_join(
                "",
                '<span class="device-{}" style="display:block">{}: <code>{}</code></span>',
                ((css, label, value or "-") for css, label, value in lines),
            ),
        )

    @admin.display(description=_("evidence"))
    def evidence_link(self, attempt):
        if not attempt.evidence:
            return gettext("none")
        return format_html(
            '<a class="attempt-evidence" href="{}" target="_blank" rel="noopener noreferrer">{}</a>',
            evidence_url(attempt),
            gettext("View image"),
        )


def _check_row(check: dict) -> tuple:
    passed = bool(check.get("passed"))
    reason = check.get("reason")
    # The reason was written by the scoring provider when the attempt was scored, and is shown as it was stored.
    outcome = gettext("passed, weight %(weight)s") if passed else gettext("failed, weight %(weight)s")
    return (
        "passed" if passed else "failed",
        "✔" if passed else "✘",
        check.get("name", "?"),
        outcome % {"weight": check.get("weight", "-")},
        f": {reason}" if reason else "",
    )


def evidence_view(model_admin, request, object_id, attempt_uuid):
    """The evidence image of one attempt of one identification, streamed from storage; 403 without permission."""
    if not (model_admin.has_view_permission(request) and has_view_evidence_permission(request)):
        raise PermissionDenied
    identification = model_admin.get_object(request, unquote(object_id))
    if identification is None:
        raise Http404("No such identification.")
    attempt = (
        ScoringAttempt.objects.filter(identification_id=identification.pk, uuid=attempt_uuid)
        .only("uuid", "number", "identification_id", "evidence", "evidence_content_type")
        .first()
    )
    if attempt is None or not attempt.evidence:
        raise Http404("This identification has no attempt with this evidence.")
    try:
        file = attempt.evidence.storage.open(attempt.evidence.name, "rb")
    except FileNotFoundError:
        raise Http404("The evidence file is missing from storage.") from None
    content_type = attempt.evidence_content_type
    if content_type not in EVIDENCE_CONTENT_TYPES:
        content_type = "application/octet-stream"
    logger.info("staff user %s viewed the evidence of attempt %s", request.user.get_username(), attempt.uuid)
    response = FileResponse(file, content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # An image needs nothing else; should the bytes ever be something else, they can run nothing.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    return response
