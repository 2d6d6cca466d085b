"""Small pure helpers the admin uses to show and search identifications."""

import re
import uuid

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from identifications.models import Identification

Status = Identification.Status

VISIBLE_DOCUMENT_CHARACTERS = 3

# Text on a background dark enough for white text, in both the light and the dark admin theme.
STATUS_COLOURS = {
    Status.PENDING: "#b26a00",
    Status.VERIFIED: "#2e7d32",
    Status.REJECTED: "#c62828",
    Status.CLOSED: "#546e7a",
    Status.EXPIRED: "#6d4c41",
}


def mask_document_number(number: str | None) -> str:
    """`12345678A` -> `******78A`: only the last 3 characters are shown, the length is kept.

    A number of 3 characters or fewer is masked whole: showing its "last 3" would show all of it.
    """
    if not number:
        return ""
    if len(number) <= VISIBLE_DOCUMENT_CHARACTERS:
        return "*" * len(number)
    hidden = len(number) - VISIBLE_DOCUMENT_CHARACTERS
    return "*" * hidden + number[hidden:]


# An MRZ starts with the document code and the issuing state: what kind of document it is, nobody's data.
MRZ_VISIBLE_PREFIX = 5


def mask_mrz(lines) -> list[str]:
    """MRZ lines with every letter and digit hidden but the document code and issuing state, fillers kept: staff
    without the document-number permission see the shape of what was read (and whether it was read), not the
    person's number, names or dates."""
    masked = []
    for index, line in enumerate(lines):
        line = str(line)
        visible = MRZ_VISIBLE_PREFIX if index == 0 else 0
        masked.append(line[:visible] + re.sub(r"[^<]", "*", line[visible:]))
    return masked


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


def status_badge(status: str, label: str, *, title: str = ""):
    colour = STATUS_COLOURS.get(status, "#424242")
    return format_html(
        '<span class="identification-status status-{}" title="{}" style="background:{};color:#fff;'
        'padding:2px 8px;border-radius:10px;font-weight:bold;white-space:nowrap">{}</span>',
        status.lower(),
        title,
        colour,
        label,
    )


def conceal_document_number(text, number: str | None):
    """``text`` with every occurrence of ``number`` (any case) replaced by its mask: free text written by callers,
    staff or scoring providers (reasons, check results) may quote the number the page shows masked."""
    if not text or not number or not isinstance(text, str):
        return text
    return re.sub(re.escape(number), mask_document_number(number), text, flags=re.IGNORECASE)


def conceal_in_json(value, number: str | None):
    """The same, for every string inside a JSON value (Identification.result, ScoringAttempt.checks)."""
    if isinstance(value, str):
        return conceal_document_number(value, number)
    if isinstance(value, list):
        return [conceal_in_json(item, number) for item in value]
    if isinstance(value, dict):
        return {key: conceal_in_json(item, number) for key, item in value.items()}
    return value


def reason(event):
    """An event's reason with its identification's number masked inside (the queryset annotates
    ``identification_document_number``). Named ``reason`` so that the column keeps the field's name and CSS class."""
    return conceal_document_number(event.reason, event.identification_document_number)


reason.short_description = _("reason")
