"""The "Close selected identifications" action: a confirmation page asking why, then one service call per id."""

from django.contrib import admin, messages
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from identifications.actors import Actor
from identifications.admin.bulk_actions import confirmed_bulk_action
from identifications.admin.forms import CLOSE_REASON_HELP
from identifications.errors import IdentificationNotFound, IdentificationNotOpen
from identifications.services.lifecycle import identification_close

# Each close is its own transaction and audit event; a bigger batch belongs in `manage.py close_identification`.
MAX_BULK_CLOSE = 500


@admin.action(description=_("Close selected identifications"), permissions=["close"])
def close_selected(modeladmin, request, queryset):
    return confirmed_bulk_action(
        modeladmin,
        request,
        queryset,
        reason_help=CLOSE_REASON_HELP,
        maximum=MAX_BULK_CLOSE,
        too_many=_("Select at most %(maximum)d identifications to close at once."),
        title=_("Close selected identifications"),
        template="admin/identifications/identification/bulk_close_confirmation.html",
        action_name="close_selected",
        perform=_close,
    )


def _close(request, ids, *, reason: str) -> None:
    actor = Actor.staff(request.user)
    closed, skipped = [], []
    for identification_id in ids:
        try:
            identification_close(identification_id=identification_id, actor=actor, reason=reason)
        except IdentificationNotOpen as error:
            skipped.append(f"{identification_id} ({error.status})")
        except IdentificationNotFound:
            skipped.append(gettext("%(id)s (not found)") % {"id": identification_id})
        else:
            closed.append(identification_id)
    summary = ngettext("%(count)d closed", "%(count)d closed", len(closed)) % {"count": len(closed)}
    if skipped:
        summary += ", " + ngettext("%(count)d skipped", "%(count)d skipped", len(skipped)) % {"count": len(skipped)}
    messages.add_message(request, messages.WARNING if skipped else messages.SUCCESS, f"{summary}.")
    if skipped:
        messages.warning(
            request, gettext("Skipped because they were not open: %(skipped)s.") % {"skipped": ", ".join(skipped)}
        )
