"""Bulk admin actions that ask for a reason on a confirmation page, then call a service once per confirmed id."""

from django.contrib import messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from identifications.admin.display import parse_uuid
from identifications.admin.forms import ReasonForm
from identifications.admin.pages import model_admin_page_context


def posted_ids(request) -> list:
    """The ids the staff member confirmed, in order, whatever the changelist's filters say now."""
    ids = (parse_uuid(value) for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))
    return list(dict.fromkeys(pk for pk in ids if pk is not None))


def confirmed_bulk_action(
    modeladmin, request, queryset, *, reason_help, maximum, too_many, title, template, action_name, perform
):
    """First call: the confirmation page for the selection (at most `maximum` rows), asking for a reason
    (`reason_help` says what it is for). Confirmed: `perform(request, ids, reason=...)`, then back to the
    changelist with its filters."""
    if request.POST.get("post") == "yes":
        form = ReasonForm(request.POST, help_text=reason_help)
        ids = posted_ids(request)
        # The limit holds on the confirming POST itself, which need not come from the confirmation page.
        if len(ids) > maximum:
            messages.error(request, too_many % {"maximum": maximum})
            return None
        if form.is_valid():
            perform(request, ids, reason=form.cleaned_data["reason"])
            return None
    else:
        form = ReasonForm(help_text=reason_help)
    selected = list(queryset.select_related("organization")[: maximum + 1])
    if len(selected) > maximum:
        messages.error(request, too_many % {"maximum": maximum})
        return None
    context = model_admin_page_context(
        modeladmin,
        request,
        title=title,
        identifications=selected,
        form=form,
        action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
        action_name=action_name,
    )
    return TemplateResponse(request, template, context)
