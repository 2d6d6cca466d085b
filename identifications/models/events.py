import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


def new_event_id() -> str:
    return f"evt_{secrets.token_hex(16)}"


class EventType(models.TextChoices):
    CREATED = "identification.created", "identification.created"
    VERIFIED = "identification.verified", "identification.verified"
    REJECTED = "identification.rejected", "identification.rejected"
    CLOSED = "identification.closed", "identification.closed"
    EXPIRED = "identification.expired", "identification.expired"
    REDACTED = "identification.redacted", "identification.redacted"
    ATTEMPT_FAILED = "identification.attempt_failed", "identification.attempt_failed"
    # Sent on request to one endpoint; never listed by the events API.
    WEBHOOK_TEST = "webhook.test", "webhook.test"


class Event(models.Model):
    """The outbox: one row per audit transition, written in its transaction; what webhooks deliver and
    GET /events lists. The payload carries no personal data."""

    Type = EventType

    # Unique by a constraint (event_public_id_unique), not `unique=True`, which on PostgreSQL adds a second,
    # varchar_pattern_ops index for LIKE queries that nothing sends.
    public_id = models.CharField(_("id"), max_length=40, default=new_event_id, editable=False)
    # Neither foreign key has an index of its own: event_org_created (organization, -created_at) and the unique
    # event_identification_sequence (identification, sequence) serve the lookups by either (bench/NOTES.md).
    organization = models.ForeignKey(
        "identifications.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organization"),
        db_index=False,
    )
    # NULL only for webhook.test events.
    identification = models.ForeignKey(
        "identifications.Identification",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="public_events",
        verbose_name=_("identification"),
        db_index=False,
    )
    type = models.CharField(_("type"), max_length=40, choices=EventType.choices)
    # Grows by one with each event of the identification, so consumers can drop events that arrive late.
    sequence = models.PositiveIntegerField(_("sequence"))
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.UniqueConstraint(fields=["identification", "sequence"], name="event_identification_sequence"),
            models.UniqueConstraint(fields=["public_id"], name="event_public_id_unique"),
        ]
        indexes = [
            # GET /events: the organization's events, newest first.
            models.Index(fields=["organization", "-created_at"], name="event_org_created"),
            # purge_events: oldest first.
            models.Index(fields=["created_at"], name="event_created"),
        ]

    def __str__(self):
        return self.public_id
