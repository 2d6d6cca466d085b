import uuid
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from scoring.checks import Check, Outcome


class Provider(models.TextChoices):
    INTERNAL = "INTERNAL", _("Internal checks")
    EXTERNAL = "EXTERNAL", _("External scoring service")


def validate_check_names(value):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(gettext("Required checks must be a list of check names."))
    unknown = sorted(set(value) - {check.value for check in Check})
    if unknown:
        allowed = ", ".join(check.value for check in Check)
        message = gettext("Unknown checks: %(unknown)s. Allowed: %(allowed)s.")
        raise ValidationError(message % {"unknown": ", ".join(unknown), "allowed": allowed})


class Configuration(models.Model):
    """A named assurance level (LOW, MEDIUM, HIGH) that says what it takes to pass an identification."""

    name = models.CharField(_("name"), max_length=20, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    minimum_score = models.PositiveSmallIntegerField(
        _("minimum score"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Score (0-100) an attempt needs to pass."),
    )
    maximum_attempts = models.PositiveSmallIntegerField(
        _("maximum attempts"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Failed attempts after which the identification is rejected."),
    )
    required_checks = models.JSONField(
        _("required checks"),
        default=list,
        blank=True,
        validators=[validate_check_names],
        help_text=_("Checks that must pass whatever the score."),
    )
    evidence_must_be_read = models.BooleanField(
        _("evidence must be read"),
        default=False,
        help_text=_("When evidence is presented, the MRZ read from it must pass."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["minimum_score", "name"]
        verbose_name = _("configuration")
        verbose_name_plural = _("configurations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minimum_score__lte=100), name="configuration_minimum_score_at_most_100"
            ),
            models.CheckConstraint(
                condition=models.Q(maximum_attempts__gte=1), name="configuration_maximum_attempts_positive"
            ),
        ]

    def __str__(self):
        return self.name

    def passes(self, outcome: Outcome, *, evidence_presented: bool) -> bool:
        """Whether an attempt's outcome earns this assurance level: the minimum score and every required check,
        plus the reading of the evidence when some was presented and this level says it must be read (an image
        the holder chose to send must be their document, whatever else scored well)."""
        required = set(self.required_checks)
        if evidence_presented and self.evidence_must_be_read:
            required.add(Check.MRZ_READ_FROM_EVIDENCE.value)
        passed_checks = {check.name for check in outcome.checks if check.passed}
        return outcome.score >= self.minimum_score and required <= passed_checks


def evidence_path(attempt, filename):
    # No personal data in the path: organization, identification and attempt ids only.
    identification = attempt.identification
    return f"evidence/{identification.organization_id}/{identification.pk}/{attempt.uuid}{Path(filename).suffix}"


class AttemptState(models.TextChoices):
    """Where an attempt is: validate stores it PROCESSING, the worker ends it in one of the other states."""

    PROCESSING = "processing", _("Processing")
    SCORED = "scored", _("Scored")
    # The EXTERNAL provider stayed down past SCORING_PROVIDER_GIVE_UP_AFTER_SECONDS: not counted.
    PROVIDER_UNAVAILABLE = "scoring_provider_unavailable", _("Scoring provider unavailable")
    # The identification was closed or expired before the score was recorded: not counted, no transition.
    ABANDONED = "abandoned", _("Abandoned (identification no longer pending)")


# The states that hold an attempt number: attempt n is taken while it is being scored and once it counted.
NUMBERED_STATES = (AttemptState.PROCESSING, AttemptState.SCORED)


class ScoringAttempt(models.Model):
    """One validation by the holder: what was presented, from which device, and (once the worker scored it) how it
    scored."""

    State = AttemptState

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    identification = models.ForeignKey(
        "identifications.Identification",
        on_delete=models.CASCADE,
        related_name="attempts",
        verbose_name=_("identification"),
    )
    number = models.PositiveSmallIntegerField(_("number"), help_text=_("1 for the first attempt."))
    provider = models.CharField(_("provider"), max_length=10, choices=Provider.choices)
    state = models.CharField(_("state"), max_length=30, choices=AttemptState.choices, default=AttemptState.PROCESSING)
    # Null until scored.
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True, validators=[MaxValueValidator(100)])
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    checks = models.JSONField(_("checks"), default=list, help_text=_("[{name, passed, weight, reason}]"))
    evidence_metadata = models.JSONField(
        _("evidence metadata"), default=dict, blank=True, help_text=_("What was read off the document.")
    )
    evidence_mrz = models.JSONField(
        _("MRZ read from the evidence"),
        null=True,
        blank=True,
        help_text=_("The lines of the machine-readable zone INTERNAL scoring read off the evidence image."),
    )
    # Stored through Django's storage API, never in the database.
    evidence = models.FileField(_("evidence"), upload_to=evidence_path, blank=True)
    evidence_content_type = models.CharField(_("evidence content type"), max_length=20, blank=True)
    installation_id = models.CharField(_("installation id"), max_length=200)
    fingerprint = models.CharField(_("fingerprint"), max_length=200)
    user_agent = models.CharField(_("user agent"), max_length=500)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("ip address"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    # Who presented it (the holder, or an API key server to server): the transition its score earns is theirs in
    # the audit trail, although the worker records it.
    actor_type = models.CharField(_("actor type"), max_length=10, blank=True)
    actor = models.CharField(_("actor"), max_length=150, blank=True)
    # The worker's bookkeeping: when the attempt is due to be (re)scored, how often a worker started scoring it,
    # and until when the worker that claimed it holds it (past that the sweeper hands it to another worker).
    next_try_at = models.DateTimeField(_("next try at"), null=True, blank=True)
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)

    class Meta:
        ordering = ["identification", "number", "created_at"]
        verbose_name = _("scoring attempt")
        verbose_name_plural = _("scoring attempts")
        permissions = [("view_evidence", _("Can view the evidence images of scoring attempts"))]
        constraints = [
            # Two racing validations can never both be attempt n; an uncounted attempt (provider unavailable,
            # abandoned) gives its number back to the next one.
            models.UniqueConstraint(
                fields=["identification", "number"],
                condition=models.Q(state__in=NUMBERED_STATES),
                name="scoring_attempt_number_unique",
            ),
            # One attempt at a time per identification (validate answers 409 attempt_in_progress before this).
            models.UniqueConstraint(
                fields=["identification"],
                condition=models.Q(state=AttemptState.PROCESSING),
                name="scoring_attempt_one_processing",
            ),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="scoring_attempt_score_at_most_100"),
            models.CheckConstraint(
                condition=models.Q(state__in=AttemptState.values), name="scoring_attempt_state_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(state=AttemptState.SCORED) | models.Q(score__isnull=False, passed__isnull=False),
                name="scoring_attempt_scored_has_score",
            ),
        ]
        indexes = [
            # The sweeper: attempts still being scored, by when they were due.
            models.Index(
                fields=["next_try_at"],
                name="scoring_attempt_processing",
                condition=models.Q(state=AttemptState.PROCESSING),
            ),
        ]

    def __str__(self):
        return gettext("attempt %(number)s of %(identification)s") % {
            "number": self.number,
            "identification": self.identification_id,
        }
