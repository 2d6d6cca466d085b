"""Forms of the admin's own pages (closing by hand, issuing API keys) and of organizations."""

from django import forms
from django.contrib.admin import widgets
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identifications import outbound
from identifications.models import IdentificationEvent, OrganizationAPIKey

# The reason ends up in the audit event (and a close's in Identification.close_reason, of the same size).
REASON_MAX_LENGTH = IdentificationEvent._meta.get_field("reason").max_length
CLOSE_REASON_HELP = _("Why the identification is closed by hand; kept in its history. At most 500 characters.")
REDACT_REASON_HELP = _(
    "Why the personal data is erased (e.g. the person's erasure request); kept in the history. At most 500 characters."
)


class ReasonForm(forms.Form):
    """The required reason of closing (one or in bulk) and redacting; `help_text` says which it is for."""

    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        label=_("Reason"),
    )

    def __init__(self, *args, help_text, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = help_text


class IssueAPIKeyForm(forms.Form):
    name = forms.CharField(
        max_length=OrganizationAPIKey._meta.get_field("name").max_length,
        label=_("Name"),
        help_text=_("What the key is for, e.g. “production backend”. The key itself is shown once."),
    )
    expiry_date = forms.SplitDateTimeField(
        required=False,
        widget=widgets.AdminSplitDateTime,
        label=_("Expires"),
        help_text=_("Leave empty for a key that does not expire (UTC)."),
    )

    def clean_expiry_date(self):
        expiry_date = self.cleaned_data["expiry_date"]
        if expiry_date is not None and expiry_date <= timezone.now():
            raise forms.ValidationError(_("The expiry must be in the future."))
        return expiry_date


class OrganizationForm(forms.ModelForm):
    """OrganizationAdmin's form; the admin supplies the model and fields (and the https default of the URL)."""

    # identifications.outbound's rules, in the staff's language; the code names the rule.
    SCORING_URL_REFUSALS = {
        "https_required": _(
            "The scoring URL must start with https://: attempts carry personal data and the evidence image."
        ),
        "private_address": _(
            "The scoring URL must reach a public internet address, not a loopback, private, link-local or "
            "cloud-metadata one."
        ),
        "credentials_in_url": _("The scoring URL must not contain a user name or password."),
        "unresolvable_host": _("The scoring URL's host name does not resolve."),
        "too_long": _("The scoring URL is too long."),
        "invalid_url": _("Enter a valid URL."),
    }

    def clean_scoring_url(self):
        """HTTPS to public addresses only: attempts carry personal data and the evidence image, and the service
        must not be pointed at its own network. WEBHOOKS_ALLOW_PRIVATE_URLS lifts both rules (local providers)."""
        url = self.cleaned_data.get("scoring_url", "")
        if not url:
            return url
        try:
            outbound.check_url(url)
        except outbound.OutboundURLRefused as refused:
            raise forms.ValidationError(self.SCORING_URL_REFUSALS[refused.code], code=refused.code) from None
        return url
