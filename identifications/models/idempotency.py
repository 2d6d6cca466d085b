from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyRecordState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


class IdempotencyRecord(models.Model):
    """One `Idempotency-Key` an organization sent with a POST, and (once completed) the response to replay.

    The unique (organization, key) constraint is the lock: whoever inserts the row runs the request, everyone else
    reads the row and gets the replay, a 409 (still running) or a 422 (the key was used for another request).
    """

    State = IdempotencyRecordState

    # No index of its own: the unique (organization, key) constraint serves lookups by organization.
    organization = models.ForeignKey(
        "identifications.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and the SHA-256 of the raw body: a key reused for another request is refused.
    request_fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=11, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    # Encrypted with a key derived from SECRET_KEY: a create response carries the holder's client secret and the
    # person's data, which must not sit readable in a table that only exists to replay it.
    response_body = models.TextField(blank=True)
    # The identification the request was about (its path id, or the id a create returned), so that erasing that
    # identification's personal data can erase its replayable responses too (idempotency_forget_subject).
    subject = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    # Refreshed when a claim is taken over; an in-progress claim not refreshed for long was abandoned by a crash.
    updated_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="idempotency_key_unique_per_organization"),
            models.CheckConstraint(
                condition=models.Q(state__in=IdempotencyRecordState.values), name="idempotency_record_state_valid"
            ),
        ]
        indexes = [
            # purge_idempotency_keys deletes by expiry.
            models.Index(fields=["expires_at"], name="idempotency_purge_expired"),
            models.Index(fields=["subject"], name="idempotency_subject"),
        ]

    def __str__(self):
        return f"{self.organization_id}:{self.key}"
