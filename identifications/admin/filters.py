"""List filters that stay small however many organizations there are."""

from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class OrganizationSlugFilter(admin.ListFilter):
    """Filter by organization slug typed in a box, instead of one link per organization in the sidebar."""

    title = _("organization")
    parameter_name = "organization"
    template = "admin/identifications/organization_filter.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        if self.parameter_name in params:
            value = params.pop(self.parameter_name)[-1].strip()
            if value:
                self.used_parameters[self.parameter_name] = value

    def value(self) -> str | None:
        return self.used_parameters.get(self.parameter_name)

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.parameter_name]

    def queryset(self, request, queryset):
        value = self.value()
        if value:
            # A join on the unique slug: the (organization, -created_at) index serves the rest.
            return queryset.filter(organization__slug=value)
        return queryset

    def choices(self, changelist):
        # The template renders one search box; the other current parameters are kept as hidden inputs.
        kept = [
            (name, value)
            for name, values in changelist.filter_params.items()
            if name not in (self.parameter_name, PAGE_VAR)
            for value in values
        ]
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": gettext("All"),
            "value": self.value() or "",
            "kept": kept,
            "parameter_name": self.parameter_name,
        }


class OutcomeFilter(admin.SimpleListFilter):
    """By the latest attempt's result (Identification.result, kept up to date by validate): no join, no count."""

    title = _("outcome")
    parameter_name = "outcome"

    PASSED, FAILED, NO_ATTEMPT = "passed", "failed", "none"

    def lookups(self, request, model_admin):
        return [
            (self.PASSED, _("Latest attempt passed")),
            (self.FAILED, _("Latest attempt failed")),
            (self.NO_ATTEMPT, _("No attempt yet")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.PASSED:
            return queryset.filter(result__passed=True)
        if value == self.FAILED:
            return queryset.filter(result__passed=False)
        if value == self.NO_ATTEMPT:
            return queryset.filter(result__isnull=True)
        return queryset


class FilterParametersOnlyMixin:
    """A changelist that accepts only the query-string lookups its own sidebar filters produce.

    Django allows a lookup on any local field by default, so `?document_number__startswith=7` (or `__regex`,
    `__lt`) would let staff who see numbers masked recover them a character at a time. Anything not listed in
    ``filter_parameters`` is a DisallowedModelAdminLookup: Django's 400, the list unfiltered by it.
    """

    filter_parameters: frozenset[str] = frozenset()

    def lookup_allowed(self, lookup, value, request=None):
        return lookup in self.filter_parameters
