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
