"""Forms of the admin's own pages (closing by hand, issuing API keys)."""

from django import forms
from django.contrib.admin import widgets
from django.utils import timezone

from identifications.models import OrganizationAPIKey

# IdentificationEvent.reason and Identification.close_reason hold at most this many characters.
REASON_MAX_LENGTH = 500


class CloseReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Why the identification is closed by hand; kept in its history. At most 500 characters.",
    )


class IssueAPIKeyForm(forms.Form):
    name = forms.CharField(
        max_length=OrganizationAPIKey._meta.get_field("name").max_length,
        help_text="What the key is for, e.g. “production backend”. The key itself is shown once.",
    )
    expiry_date = forms.SplitDateTimeField(
        required=False,
        widget=widgets.AdminSplitDateTime,
        label="Expires",
        help_text="Leave empty for a key that does not expire (UTC).",
    )

    def clean_expiry_date(self):
        expiry_date = self.cleaned_data["expiry_date"]
        if expiry_date is not None and expiry_date <= timezone.now():
            raise forms.ValidationError("The expiry must be in the future.")
        return expiry_date
