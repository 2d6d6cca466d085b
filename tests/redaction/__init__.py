"""Assertions shared by the redaction tests (fixtures live in tests/redaction/conftest.py; attempts holding the
person's data come from tests.factories.ScoringAttemptFactory)."""

from scoring.models import ScoringAttempt
from tests.factories import ATTEMPT_CHECKS


def assert_attempt_redacted(attempt: ScoringAttempt) -> None:
    attempt.refresh_from_db()
    assert attempt.evidence_metadata == {}
    assert attempt.evidence_mrz is None
    assert attempt.evidence.name == ""
    assert attempt.evidence_content_type == ""
    assert (attempt.installation_id, attempt.fingerprint, attempt.user_agent) == ("", "", "")
    assert (attempt.latitude, attempt.longitude, attempt.ip_address) == (None, None, None)
    # What the attempt scored is not personal and stays.
    assert (attempt.score, attempt.passed, attempt.checks) == (80, False, ATTEMPT_CHECKS)
