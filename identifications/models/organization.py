from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager


class Organization(models.Model):
    """A customer of the service; its slug is the `org_id` of the API paths."""

    slug = models.SlugField(_("slug"), max_length=50, unique=True, help_text=_("The org_id used in API paths."))
    name = models.CharField(_("name"), max_length=200)
    default_configuration = models.ForeignKey(
        "scoring.Configuration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default configuration"),
        help_text=_("Used when a create request names no configuration (MEDIUM when empty)."),
    )
    scoring_url = models.URLField(
        _("scoring url"),
        blank=True,
        help_text=_("Where EXTERNAL scoring posts attempts (HTTPS in production), signed with HMAC-SHA256."),
    )
    # The signing secret is derived from SECRET_KEY and this version (see scoring.secrets), so none is stored;
    # bumping the version rotates it.
    scoring_secret_version = models.PositiveIntegerField(_("scoring secret version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self):
        return self.slug


class OrganizationAPIKeyManager(BaseAPIKeyManager):
    def get_usable_keys(self):
        # The organization is needed on every authenticated request: fetch it in the same query.
        return super().get_usable_keys().select_related("organization")


class OrganizationAPIKey(AbstractAPIKey):
    """An organization's API key: only its prefix and a SHA-512 hash are stored; the key is shown once."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("organization")
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    objects = OrganizationAPIKeyManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return not self.revoked and (self.expiry_date is None or self.expiry_date > now)
