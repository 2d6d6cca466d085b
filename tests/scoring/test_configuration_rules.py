"""What each assurance level asks of an attempt once INTERNAL reads the evidence: HIGH requires the reading, MEDIUM
requires it whenever evidence is presented, LOW stays as staff configure it."""

import pytest
from django.urls import reverse

from scoring.checks import Check, CheckResult, Outcome
from scoring.models import Configuration
from tests.admin import log_in_superuser

pytestmark = pytest.mark.django_db


def outcome(*failing: Check) -> Outcome:
    """Every check passes but ``failing``; the score is what the default weights give."""
    checks = [CheckResult(name=check.value, passed=check not in failing, weight=0, reason="") for check in Check]
    return Outcome(score=80 if failing else 100, checks=checks)


def level(name) -> Configuration:
    return Configuration.objects.get(name=name)


def test_the_seeded_levels():
    low, medium, high = level("LOW"), level("MEDIUM"), level("HIGH")
    assert (low.evidence_must_be_read, low.required_checks) == (False, ["document_control_character"])
    assert (medium.evidence_must_be_read, medium.required_checks) == (
        True,
        ["document_control_character", "document_number_match", "name_match"],
    )
    assert high.evidence_must_be_read is True
    assert high.required_checks[-2:] == ["evidence_present", "mrz_read_from_evidence"]


def test_medium_with_evidence_needs_the_reading():
    medium = level("MEDIUM")
    unread = outcome(Check.MRZ_READ_FROM_EVIDENCE)
    assert medium.passes(unread, evidence_presented=True) is False
    assert medium.passes(unread, evidence_presented=False) is True
    assert medium.passes(outcome(), evidence_presented=True) is True


def test_high_needs_the_reading_whatever_the_score():
    high = level("HIGH")
    assert high.passes(outcome(Check.MRZ_READ_FROM_EVIDENCE), evidence_presented=True) is False
    assert high.passes(outcome(Check.MRZ_READ_FROM_EVIDENCE, Check.EVIDENCE_PRESENT), evidence_presented=False) is False
    # An outcome without the check at all (an EXTERNAL provider that does not report it) does not pass either.
    without = Outcome(score=100, checks=[c for c in outcome().checks if c.name != Check.MRZ_READ_FROM_EVIDENCE])
    assert high.passes(without, evidence_presented=True) is False
    assert high.passes(outcome(), evidence_presented=True) is True


def test_low_is_unchanged():
    low = level("LOW")
    assert low.passes(outcome(Check.MRZ_READ_FROM_EVIDENCE), evidence_presented=True) is True
    assert low.passes(outcome(Check.DOCUMENT_CONTROL_CHARACTER), evidence_presented=True) is False


def test_the_minimum_score_still_applies():
    medium = level("MEDIUM")
    assert medium.passes(Outcome(score=69, checks=outcome().checks), evidence_presented=False) is False


def test_staff_see_and_set_the_flag_in_the_admin(client):
    log_in_superuser(client)
    low = level("LOW")
    page = client.get(reverse("admin:scoring_configuration_change", args=[low.pk])).content.decode()
    assert 'name="evidence_must_be_read"' in page
    assert "When evidence is presented, the MRZ read from it must pass." in page

    response = client.post(
        reverse("admin:scoring_configuration_change", args=[low.pk]),
        {
            "description": "",
            "minimum_score": "50",
            "maximum_attempts": "5",
            "required_checks": ["document_control_character"],
            "evidence_must_be_read": "on",
        },
    )

    assert response.status_code == 302
    assert level("LOW").evidence_must_be_read is True
    listing = client.get(reverse("admin:scoring_configuration_changelist")).content.decode()
    assert "evidence must be read" in listing.lower()
