"""Scoring configurations (LOW, MEDIUM, HIGH), tuned by staff; saving one drops the cached reference rows."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from scoring.checks import Check
from scoring.models import Configuration

CHECK_LABELS = {
    Check.DOCUMENT_CONTROL_CHARACTER: _("Document control character"),
    Check.DOCUMENT_NUMBER_MATCH: _("Document number match"),
    Check.DOCUMENT_TYPE_MATCH: _("Document type match"),
    Check.COUNTRY_MATCH: _("Country match"),
    Check.NAME_MATCH: _("Name match"),
    Check.DOCUMENT_NOT_EXPIRED: _("Document not expired"),
    Check.MRZ_VALID: _("Mrz valid"),
    Check.EVIDENCE_PRESENT: _("Evidence present"),
    Check.MRZ_READ_FROM_EVIDENCE: _("MRZ read from the evidence image"),
}
# A check added to scoring.checks without a label here is still offered, named after its value.
CHECK_CHOICES = [(check.value, CHECK_LABELS.get(check, check.value.replace("_", " ").capitalize())) for check in Check]
NAME_HELP = _(
    "LOW, MEDIUM and HIGH are the API's configuration_name values: clients send one to pick this configuration "
    "(a name added here becomes one more). The name cannot be changed once created."
)


EDITABLE_FIELDS = (
    "name",
    "description",
    "minimum_score",
    "maximum_attempts",
    "required_checks",
    "evidence_must_be_read",
)


class ConfigurationForm(forms.ModelForm):
    name = forms.CharField(
        max_length=Configuration._meta.get_field("name").max_length, label=_("Name"), help_text=NAME_HELP
    )
    required_checks = forms.MultipleChoiceField(
        choices=CHECK_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Required checks"),
        help_text=_("Checks that must pass whatever the score."),
    )

    class Meta:
        model = Configuration
        fields = EDITABLE_FIELDS

    def clean_required_checks(self):
        # Stored in the checks' own order, so the same choice always saves the same JSON.
        selected = set(self.cleaned_data["required_checks"])
        return [check.value for check in Check if check.value in selected]


@admin.register(Configuration)
class ConfigurationAdmin(admin.ModelAdmin):
    form = ConfigurationForm
    list_display = (
        "name",
        "description",
        "minimum_score",
        "maximum_attempts",
        "required_checks_display",
        "evidence_must_be_read",
    )
    search_fields = ("name",)
    readonly_fields = ("created_at", "updated_at")

    def get_fieldsets(self, request, obj=None):
        fields = (*EDITABLE_FIELDS, *self.readonly_fields)
        # On the change page the name is read-only, and a read-only field shows no form help text: say it above.
        return [(None, {"fields": fields, "description": NAME_HELP if obj is not None else None})]

    def get_readonly_fields(self, request, obj=None):
        # The name is the API's configuration_name: renaming it would change the contract under clients.
        if obj is not None:
            return ("name", *self.readonly_fields)
        return self.readonly_fields

    @admin.display(description=_("required checks"))
    def required_checks_display(self, obj):
        return ", ".join(obj.required_checks) or "-"
