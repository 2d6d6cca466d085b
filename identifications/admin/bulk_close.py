"""The "Close selected identifications" action: a confirmation page asking why, then one service call per id."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from identifications.actors import Actor
from identifications.admin.display import parse_uuid
from identifications.admin.forms import CloseReasonForm
from identifications.errors import IdentificationNotFound, IdentificationNotOpen
from identifications.services import identification_close

# Each close is its own transaction and audit event; a bigger batch belongs in `manage.py close_identification`.
MAX_BULK_CLOSE = 500


@admin.action(description=_("Close selected identifications"), permissions=["close"])
def close_selected(modeladmin, request, queryset):
    if request.POST.get("post") == "yes":
        form = CloseReasonForm(request.POST)
        if form.is_valid():
            _close(request, _posted_ids(request), reason=form.cleaned_data["reason"])
            return None  # back to the changelist, with its filters
    else:
        form = CloseReasonForm()
    selected = list(queryset.select_related("organization")[: MAX_BULK_CLOSE + 1])
    if len(selected) > MAX_BULK_CLOSE:
        messages.error(
            request,
            gettext("Select at most %(maximum)d identifications to close at once.") % {"maximum": MAX_BULK_CLOSE},
        )
        return None
    opts = modeladmin.opts
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": gettext("Close selected identifications"),
        "opts": opts,
        "app_label": opts.app_label,
        "identifications": selected,
        "form": form,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "action_name": "close_selected",
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/identifications/identification/bulk_close_confirmation.html", context)


def _posted_ids(request) -> list:
    """The ids the staff member confirmed, in order, whatever the changelist's filters say now."""
    ids = (parse_uuid(value) for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))
    return list(dict.fromkeys(pk for pk in ids if pk is not None))


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
