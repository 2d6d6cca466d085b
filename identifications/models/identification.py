from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from identifications.permissions import IDENTIFICATION_PERMISSIONS
from identifications.time_ordered_ids import uuid7
from scoring.models import Provider


class IdentificationStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    VERIFIED = "VERIFIED", _("Verified")
    REJECTED = "REJECTED", _("Rejected")
    CLOSED = "CLOSED", _("Closed")
    EXPIRED = "EXPIRED", _("Expired")


# The lifecycle as data: the statuses each status may move to. Only PENDING moves; every other status is final.
# identifications.services.lifecycle refuses any transition not listed here.
TRANSITIONS = {
    IdentificationStatus.PENDING: frozenset(
        {
            IdentificationStatus.VERIFIED,
            IdentificationStatus.REJECTED,
            IdentificationStatus.CLOSED,
            IdentificationStatus.EXPIRED,
        }
    ),
    IdentificationStatus.VERIFIED: frozenset(),
    IdentificationStatus.REJECTED: frozenset(),
    IdentificationStatus.CLOSED: frozenset(),
    IdentificationStatus.EXPIRED: frozenset(),
}
OPEN_STATUSES = frozenset(status for status, targets in TRANSITIONS.items() if targets)
# Where an open identification goes when it is met past `expires_at`, whether or not that is persisted yet.
EXPIRED_STATUS = IdentificationStatus.EXPIRED


def _open_rows() -> models.Q:
    # `status = 'PENDING'` while PENDING is the only open status: the form the partial indexes' condition has.
    (only,) = OPEN_STATUSES
    return models.Q(status=only)


def _current_status_conditions(now) -> dict:
    """The status each row is in as of `now`, as Q objects: the one SQL form of "an open identification past its
    expiry is EXPIRED" (the model's `current_status` is the same rule in Python)."""
    conditions = {status: models.Q(status=status) for status in IdentificationStatus}
    for status in OPEN_STATUSES:
        conditions[status] &= models.Q(expires_at__gt=now)
    conditions[EXPIRED_STATUS] |= _open_rows() & models.Q(expires_at__lte=now)
    return conditions


class IdentificationQuerySet(models.QuerySet):
    """Reads by lifecycle state; the writes are in identifications.services.lifecycle."""

    def open(self, now=None):
        """Rows that may still change: open statuses, and, given `now`, not past their expiry."""
        rows = self.filter(_open_rows())
        return rows if now is None else rows.filter(expires_at__gt=now)

    def due_for_expiry(self, now):
        """Open rows past their expiry: EXPIRED as of `now` (the partial index identification_expiry_due)."""
        return self.filter(_open_rows(), expires_at__lte=now)

    def in_current_status(self, status, now):
        """Rows whose status as of `now` is `status` (a PENDING filter leaves out those past their expiry)."""
        return self.filter(_current_status_conditions(now)[status])

    def with_current_status(self, now):
        """Annotates `current_status`: the status as of `now`, as the API reports it."""
        return self.annotate(
            current_status=models.Case(
                *(
                    models.When(condition, then=models.Value(status.value))
                    for status, condition in _current_status_conditions(now).items()
                ),
                output_field=models.CharField(),
            )
        )


class Identification(models.Model):
    """One person's identification process, opened by an organization and ended in a terminal status."""

    Status = IdentificationStatus
    TRANSITIONS = TRANSITIONS
    OPEN_STATUSES = OPEN_STATUSES

    # Time-ordered (version 7): creates insert at the primary key index's edge, not on a random page of it.
    id = models.UUIDField(_("id"), primary_key=True, default=uuid7, editable=False)
    # No index of its own: identification_org_created (organization, -created_at) serves every lookup by organization
    # (bench/NOTES.md, "Index review"); each index costs every insert and every status change.
    organization = models.ForeignKey(
        "identifications.Organization",
        on_delete=models.PROTECT,
        related_name="identifications",
        verbose_name=_("organization"),
        db_index=False,
    )
    # NULL is "not given" and comes back as null in the API, which an empty string cannot say.
    name = models.CharField(_("name"), max_length=150, null=True, blank=True)  # noqa: DJ001
    last_name = models.CharField(_("last name"), max_length=150, null=True, blank=True)  # noqa: DJ001
    document_number = models.CharField(_("document number"), max_length=20, null=True, blank=True)  # noqa: DJ001
    document_type = models.ForeignKey(
        "identifications.DocumentType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document type"),
    )
    document_country = CountryField(_("document country"), null=True, blank=True)
    configuration = models.ForeignKey(
        "scoring.Configuration", on_delete=models.PROTECT, related_name="+", verbose_name=_("configuration")
    )
    scoring_provider = models.CharField(
        _("scoring provider"), max_length=10, choices=Provider.choices, default=Provider.INTERNAL
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    expires_at = models.DateTimeField(_("expires at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=500, blank=True)
    # SHA-256 of the holder's client secret, which is shown once in the create response. Unique by a constraint
    # (identification_client_secret_hash_unique), not `unique=True`: on PostgreSQL that adds a second,
    # varchar_pattern_ops index for LIKE queries that a hash never gets. NULL, not "", where there is none: unique.
    client_secret_hash = models.CharField(  # noqa: DJ001
        _("client secret hash"), max_length=64, null=True, blank=True, editable=False
    )
    # Denormalised from the scoring attempts so that retrieve and list need no join or count.
    attempts_used = models.PositiveSmallIntegerField(_("attempts used"), default=0)
    # An attempt is stored and waiting for the worker (GET's attempts.processing; validate answers 409 meanwhile).
    attempt_processing = models.BooleanField(_("attempt processing"), default=False, db_default=False)
    result = models.JSONField(
        _("result"), null=True, blank=True, help_text=_("The latest attempt's score, outcome and checks.")
    )
    # Set once the person's data (names, number, attempts' metadata and evidence) is erased; the row stays as audit.
    redacted_at = models.DateTimeField(_("redacted at"), null=True, blank=True, editable=False)

    objects = IdentificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("identification")
        verbose_name_plural = _("identifications")
        permissions = IDENTIFICATION_PERMISSIONS
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=IdentificationStatus.values),
                name="identification_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="identification_expires_after_creation",
            ),
            models.UniqueConstraint(fields=["client_secret_hash"], name="identification_client_secret_hash_unique"),
        ]
        indexes = [
            # The organization's own listing, newest first.
            models.Index(fields=["organization", "-created_at"], name="identification_org_created"),
            # ... filtered by status: without it a page of a rare status walks the organization's every row.
            models.Index(fields=["organization", "status", "-created_at"], name="identification_org_status"),
            # The admin changelist, newest first across organizations.
            models.Index(fields=["-created_at"], name="identification_created"),
            # Admin search by exact document number.
            models.Index(fields=["document_number"], name="identification_doc_number"),
            # expire_identifications: only pending rows are ever due. The id makes (expires_at, id) a unique key,
            # which the command walks and cuts into ranges of exactly one batch each (services.expiry_batches).
            models.Index(
                fields=["expires_at", "id"],
                name="identification_expiry_due",
                condition=models.Q(status="PENDING"),
            ),
            # purge_identifications: terminal rows still holding personal data, oldest change first (id: the keyset).
            models.Index(
                fields=["updated_at", "id"],
                name="identification_purge_due",
                condition=models.Q(redacted_at__isnull=True) & ~models.Q(status="PENDING"),
            ),
        ]

    def __str__(self):
        return str(self.id)

    @property
    def is_open(self) -> bool:
        """Its stored status may still change (it may be past its expiry: see `is_open_at`)."""
        return self.status in OPEN_STATUSES

    def is_past_expiry(self, now) -> bool:
        return self.expires_at <= now

    def is_due_for_expiry(self, now) -> bool:
        """Stored as open but past its expiry: EXPIRED as of `now`, not yet persisted."""
        return self.is_open and self.is_past_expiry(now)

    def current_status(self, now):
        """The status as of `now`, as the API reports it: an open identification past its expiry is EXPIRED."""
        return EXPIRED_STATUS if self.is_due_for_expiry(now) else self.status

    def is_open_at(self, now) -> bool:
        return self.current_status(now) in OPEN_STATUSES


class IdentificationEvent(models.Model):
    """The audit trail: one row per status transition, written in the same transaction as the change."""

    class ActorType(models.TextChoices):
        API_KEY = "API_KEY", _("API key")
        STAFF = "STAFF", _("Staff user")
        COMMAND = "COMMAND", _("Management command")
        HOLDER = "HOLDER", _("Identification holder")
        SYSTEM = "SYSTEM", _("System")

    # No index of its own: event_identification_time (identification, created_at) serves lookups by identification.
    identification = models.ForeignKey(
        Identification,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("identification"),
        db_index=False,
    )
    # NULL for the creation event: the identification had no status before.
    from_status = models.CharField(  # noqa: DJ001
        _("from status"), max_length=10, choices=IdentificationStatus.choices, null=True, blank=True
    )
    to_status = models.CharField(_("to status"), max_length=10, choices=IdentificationStatus.choices)
    actor_type = models.CharField(_("actor type"), max_length=10, choices=ActorType.choices)
    # Who acted, readable without joins: an API key prefix, a staff username or a command name.
    actor = models.CharField(_("actor"), max_length=150)
    # NULL unless staff acted: indexed by event_staff_user, which leaves the NULLs out.
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff user"),
        db_index=False,
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("identification event")
        verbose_name_plural = _("identification events")
        indexes = [
            models.Index(fields=["identification", "created_at"], name="event_identification_time"),
            # The admin dashboard's per-day chart reads the last 30 days of transitions.
            models.Index(fields=["created_at", "to_status"], name="event_created_status"),
            # Deleting a user sets its events' staff_user to NULL (SET_NULL) and finds them here. Only staff
            # transitions have one: creations, API closes, scoring and expiry (a million rows a run) write no entry.
            models.Index(fields=["staff_user"], name="event_staff_user", condition=models.Q(staff_user__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(to_status__in=IdentificationStatus.values),
                name="event_to_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.from_status or '-'} -> {self.to_status}"
