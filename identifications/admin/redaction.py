"""The "Redact selected identifications" action: a confirmation page asking why, then one service call per id."""

from django.contrib import admin, messages
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from identifications.actors import Actor
from identifications.admin.bulk_actions import confirmed_bulk_action
from identifications.admin.forms import REDACT_REASON_HELP
from identifications.errors import IdentificationNotFound
from identifications.permissions import CAN_REDACT
from identifications.services.redaction import identification_redact

# Each redaction is its own transaction and audit event; retention at scale is `manage.py purge_identifications`.
MAX_BULK_REDACT = 500


def has_redact_permission(request) -> bool:
    return request.user.has_perm(CAN_REDACT)


@admin.action(description=_("Redact selected identifications"), permissions=["redact"])
def redact_selected(modeladmin, request, queryset):
    return confirmed_bulk_action(
        modeladmin,
        request,
        queryset,
        reason_help=REDACT_REASON_HELP,
        maximum=MAX_BULK_REDACT,
        too_many=_("Select at most %(maximum)d identifications to redact at once."),
        title=_("Redact selected identifications"),
        template="admin/identifications/identification/bulk_redact_confirmation.html",
        action_name="redact_selected",
        perform=_redact,
    )


def _redact(request, ids, *, reason: str) -> None:
    actor = Actor.staff(request.user)
    redacted, already, missing = 0, 0, []
    for identification_id in ids:
        try:
            if identification_redact(identification_id=identification_id, actor=actor, reason=reason):
                redacted += 1
            else:
                already += 1
        except IdentificationNotFound:
            missing.append(str(identification_id))
    summary = ngettext("%(count)d redacted", "%(count)d redacted", redacted) % {"count": redacted}
    if already:
        summary += ", " + ngettext("%(count)d already redacted", "%(count)d already redacted", already) % {
            "count": already
        }
    messages.success(request, f"{summary}.")
    if missing:
        messages.warning(request, gettext("Not found: %(ids)s.") % {"ids": ", ".join(missing)})
