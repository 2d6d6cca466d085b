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


class ScoringAttempt(models.Model):
    """One validation by the holder: what was presented, from which device, and how it scored."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    identification = models.ForeignKey(
        "identifications.Identification",
        on_delete=models.CASCADE,
        related_name="attempts",
        verbose_name=_("identification"),
    )
    number = models.PositiveSmallIntegerField(_("number"), help_text=_("1 for the first attempt."))
    provider = models.CharField(_("provider"), max_length=10, choices=Provider.choices)
    score = models.PositiveSmallIntegerField(_("score"), validators=[MaxValueValidator(100)])
    passed = models.BooleanField(_("passed"))
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

    class Meta:
        ordering = ["identification", "number"]
        verbose_name = _("scoring attempt")
        verbose_name_plural = _("scoring attempts")
        permissions = [("view_evidence", _("Can view the evidence images of scoring attempts"))]
        constraints = [
            # Two racing validations can never both be attempt n.
            models.UniqueConstraint(fields=["identification", "number"], name="scoring_attempt_number_unique"),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="scoring_attempt_score_at_most_100"),
        ]

    def __str__(self):
        return gettext("attempt %(number)s of %(identification)s") % {
            "number": self.number,
            "identification": self.identification_id,
        }
