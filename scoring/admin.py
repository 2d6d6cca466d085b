"""Scoring configurations (LOW, MEDIUM, HIGH), tuned by staff; saving one drops the cached reference rows."""

from django import forms
from django.contrib import admin

from scoring.checks import Check
from scoring.models import Configuration

CHECK_CHOICES = [(check.value, check.value.replace("_", " ").capitalize()) for check in Check]


class ConfigurationForm(forms.ModelForm):
    required_checks = forms.MultipleChoiceField(
        choices=CHECK_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Checks that must pass whatever the score.",
    )

    class Meta:
        model = Configuration
        fields = ("name", "description", "minimum_score", "maximum_attempts", "required_checks")

    def clean_required_checks(self):
        # Stored in the checks' own order, so the same choice always saves the same JSON.
        selected = set(self.cleaned_data["required_checks"])
        return [check.value for check in Check if check.value in selected]


@admin.register(Configuration)
class ConfigurationAdmin(admin.ModelAdmin):
    form = ConfigurationForm
    list_display = ("name", "description", "minimum_score", "maximum_attempts", "required_checks_display")
    search_fields = ("name",)
    readonly_fields = ("created_at", "updated_at")

    def get_fields(self, request, obj=None):
        return ("name", "description", "minimum_score", "maximum_attempts", "required_checks", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        # The name is the API's configuration_name: renaming it would change the contract under clients.
        if obj is not None:
            return ("name", *self.readonly_fields)
        return self.readonly_fields

    @admin.display(description="required checks")
    def required_checks_display(self, obj):
        return ", ".join(obj.required_checks) or "-"
