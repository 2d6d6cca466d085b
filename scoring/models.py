import uuid
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from scoring.checks import Check


class Provider(models.TextChoices):
    INTERNAL = "INTERNAL", "Internal checks"
    EXTERNAL = "EXTERNAL", "External scoring service"


def validate_check_names(value):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Required checks must be a list of check names.")
    unknown = sorted(set(value) - {check.value for check in Check})
    if unknown:
        allowed = ", ".join(check.value for check in Check)
        raise ValidationError(f"Unknown checks: {', '.join(unknown)}. Allowed: {allowed}.")


class Configuration(models.Model):
    """A named assurance level (LOW, MEDIUM, HIGH) that says what it takes to pass an identification."""

    name = models.CharField(max_length=20, unique=True)
    description = models.CharField(max_length=200, blank=True)
    minimum_score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Score (0-100) an attempt needs to pass.",
    )
    maximum_attempts = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Failed attempts after which the identification is rejected.",
    )
    required_checks = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_check_names],
        help_text="Checks that must pass whatever the score.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["minimum_score", "name"]
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


def evidence_path(attempt, filename):
    # No personal data in the path: organization, identification and attempt ids only.
    identification = attempt.identification
    return f"evidence/{identification.organization_id}/{identification.pk}/{attempt.uuid}{Path(filename).suffix}"


class ScoringAttempt(models.Model):
    """One validation by the holder: what was presented, from which device, and how it scored."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    identification = models.ForeignKey(
        "identifications.Identification", on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveSmallIntegerField(help_text="1 for the first attempt.")
    provider = models.CharField(max_length=10, choices=Provider.choices)
    score = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    passed = models.BooleanField()
    checks = models.JSONField(default=list, help_text="[{name, passed, weight, reason}]")
    evidence_metadata = models.JSONField(default=dict, blank=True, help_text="What was read off the document.")
    # Stored through Django's storage API, never in the database.
    evidence = models.FileField(upload_to=evidence_path, blank=True)
    evidence_content_type = models.CharField(max_length=20, blank=True)
    installation_id = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=200)
    user_agent = models.CharField(max_length=500)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["identification", "number"]
        permissions = [("view_evidence", "Can view the evidence images of scoring attempts")]
        constraints = [
            # Two racing validations can never both be attempt n.
            models.UniqueConstraint(fields=["identification", "number"], name="scoring_attempt_number_unique"),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="scoring_attempt_score_at_most_100"),
        ]

    def __str__(self):
        return f"attempt {self.number} of {self.identification_id}"
