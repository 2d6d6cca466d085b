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

from identifications.admin.display import conceal_in_json, mask_mrz
from identifications.admin.export import has_reveal_permission
from identifications.admin.read_only import IdentificationChildInline
from identifications.permissions import CAN_VIEW_EVIDENCE
from scoring.checks import Check
from scoring.internal import evidence_disagreements
from scoring.models import ScoringAttempt

logger = logging.getLogger(__name__)

# What validate stores (sniffed from the bytes); anything else is served as opaque bytes, never rendered.
EVIDENCE_CONTENT_TYPES = frozenset({"image/png", "image/jpeg"})
EVIDENCE_URL_NAME = "identifications_identification_attempt_evidence"
# One line per check, readable without colour: "✘ name_matches failed, weight 20: <reason>".
CHECK_ROW = '<span class="attempt-check check-{}" style="display:block">{} <strong>{}</strong> {}{}</span>'
MRZ_ROW = '<span class="mrz-{}" style="display:block">{}: <code style="white-space:pre">{}</code></span>'
# The cross-checks mrz_read_from_evidence names in its reason (scoring.internal), as staff read them.
CROSS_CHECK_LABELS = {
    "MRZ sent by the app": _("MRZ sent by the app"),
    "document number": _("document number"),
    "name": _("name"),
    "birth date": _("birth date"),
    "expiry date": _("expiry date"),
    "issuing country": _("issuing country or nationality"),
    "birth date in the national number": _("birth date in the national number"),
    "sex in the national number": _("sex in the national number"),
}


def evidence_url(attempt) -> str:
    return reverse(f"admin:{EVIDENCE_URL_NAME}", args=[attempt.identification_id, attempt.uuid])


def has_view_evidence_permission(request) -> bool:
    return request.user.has_perm(CAN_VIEW_EVIDENCE)


class ScoringAttemptInline(IdentificationChildInline):
    """Every attempt, first to last: score, outcome, each check, the device it came from and, for staff allowed to
    see it, a link to the evidence image."""

    model = ScoringAttempt
    fields = (
        "number",
        "created_at",
        "provider",
        "state",
        "score",
        "passed",
        "checks_display",
        "mrz_display",
        "device_display",
    )
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

    @admin.display(description=_("MRZ"))
    def mrz_display(self, attempt):
        """The MRZ read off the image beside the one the app sent, masked without the document-number permission,
        and the cross-checks of the read one that failed."""
        read = attempt.evidence_mrz or None
        sent = (attempt.evidence_metadata or {}).get("mrz") if isinstance(attempt.evidence_metadata, dict) else None
        if not read and not sent:
            return "-"
        # The inline's queryset annotates the number exactly when the viewer may not see it (get_queryset).
        masked = hasattr(attempt, "concealed_document_number")
        rows = (
            ("read", gettext("Read from the image"), _mrz_text(read, masked) or gettext("nothing was read")),
            ("sent", gettext("Sent by the app"), _mrz_text(sent, masked) or gettext("none")),
        )
        failed = _failed_cross_checks(attempt.checks)
        return format_html(
            '<span class="attempt-mrz">{}{}</span>',
            format_html_join("", MRZ_ROW, rows),
            format_html(
                '<span class="mrz-cross-checks" style="display:block">{}</span>',
                gettext("Failed cross-checks: %(names)s") % {"names": ", ".join(failed)},
            )
            if failed
            else "",
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


def _mrz_text(lines, masked: bool) -> str:
    if not isinstance(lines, list) or not lines:
        return ""
    return "\n".join(mask_mrz(lines) if masked else (str(line) for line in lines))


def _failed_cross_checks(checks) -> list[str]:
    for check in checks or []:
        if isinstance(check, dict) and check.get("name") == Check.MRZ_READ_FROM_EVIDENCE and not check.get("passed"):
            names = evidence_disagreements(str(check.get("reason") or ""))
            return [str(CROSS_CHECK_LABELS.get(name, name)) for name in names]
    return []


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
