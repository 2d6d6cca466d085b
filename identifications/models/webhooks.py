import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


def new_endpoint_id() -> str:
    return f"we_{secrets.token_hex(12)}"


class WebhookEndpoint(models.Model):
    """Where an organization receives its events, signed with the endpoint's secret (Standard Webhooks)."""

    public_id = models.CharField(_("id"), max_length=40, unique=True, default=new_endpoint_id, editable=False)
    organization = models.ForeignKey(
        "identifications.Organization",
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        verbose_name=_("organization"),
    )
    url = models.CharField(_("URL"), max_length=2000)
    # Empty: every event type.
    event_types = models.JSONField(_("event types"), default=list, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_reason = models.CharField(_("disabled reason"), max_length=500, blank=True)
    # The signing secrets, Fernet-encrypted with a key derived from SECRET_KEY: signing needs them in clear, so
    # they cannot be hashed. After a rotation the previous one keeps signing alongside until it expires.
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Health, for staff and for disabling an endpoint that has failed for days.
    last_success_at = models.DateTimeField(_("last success at"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    SUCCEEDED = "SUCCEEDED", _("Succeeded")
    FAILED = "FAILED", _("Failed")


class WebhookDelivery(models.Model):
    """One event to one endpoint, created with the event. Workers claim it with a lease, so a worker that dies
    mid-delivery only delays it: once the lease expires the sweeper hands it to another worker."""

    Status = DeliveryStatus

    # No index of its own: the unique delivery_event_endpoint (event, endpoint) serves lookups by event.
    event = models.ForeignKey(
        "identifications.Event",
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("event"),
        db_index=False,
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="delivery_event_endpoint"),
            models.CheckConstraint(condition=models.Q(status__in=DeliveryStatus.values), name="delivery_status_valid"),
        ]
        indexes = [
            # The sweeper: pending deliveries that are due.
            models.Index(
                fields=["next_attempt_at"], name="delivery_due", condition=models.Q(status=DeliveryStatus.PENDING)
            ),
        ]

    def __str__(self):
        return f"{self.event_id} -> {self.endpoint_id}"


class WebhookDeliveryAttempt(models.Model):
    """The log of one HTTP exchange of a delivery."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    created_at = models.DateTimeField(_("created at"))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    error = models.CharField(_("error"), max_length=200, blank=True)
    # The first KiB of the response, to show staff what the receiver said.
    response_body = models.TextField(_("response body"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery attempt")
        verbose_name_plural = _("webhook delivery attempts")
        indexes = [models.Index(fields=["created_at"], name="delivery_attempt_created")]

    def __str__(self):
        return f"{self.delivery_id} {self.status_code or self.error}"
