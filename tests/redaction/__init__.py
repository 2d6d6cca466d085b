"""Helpers shared by the redaction tests (plain functions: fixtures live in tests/redaction/conftest.py)."""

from django.core.files.base import ContentFile

from identifications.models import Identification
from scoring.models import Provider, ScoringAttempt

# What a validation keeps about the person, as tests/api/validation_helpers.py sends it.
PERSONAL_METADATA = {
    "document_number": "12345678Z",
    "document_type": "NIF",
    "country": "ES",
    "name": "JOSE MARIA",
    "last_name": "GARCIA MARQUEZ",
    "birth_date": "1985-03-12",
    "expiry_date": "2030-01-01",
    "mrz": ["IDESPCAB123456012345678Z<<<<<<", "8503127M3001019ESP<<<<<<<<<<<9", "GARCIA<MARQUEZ<<JOSE<MARIA<<<<"],
}
CHECKS = [{"name": "document_control_character", "passed": True, "weight": 20, "reason": "The control letter matches."}]


def attempt_with_evidence(identification: Identification, *, number: int = 1, evidence: bool = True) -> ScoringAttempt:
    """A scored attempt holding the person's data, its evidence written through Django's storage API."""
    attempt = ScoringAttempt(
        identification=identification,
        number=number,
        provider=Provider.INTERNAL,
        score=80,
        passed=False,
        checks=CHECKS,
        evidence_metadata=PERSONAL_METADATA,
        installation_id="install-1",
        fingerprint="fp-abc",
        user_agent="IdentityApp/2.1 (Android 14)",
        latitude=40.4168,
        longitude=-3.7038,
        ip_address="203.0.113.7",
        evidence_content_type="image/png" if evidence else "",
        created_at=identification.created_at,
    )
    if evidence:
        attempt.evidence.save("evidence.png", ContentFile(b"\x89PNG not really"), save=False)
    attempt.save(force_insert=True)
    Identification.objects.filter(pk=identification.pk).update(attempts_used=number)
    return attempt


def assert_attempt_redacted(attempt: ScoringAttempt) -> None:
    attempt.refresh_from_db()
    assert attempt.evidence_metadata == {}
    assert attempt.evidence.name == ""
    assert attempt.evidence_content_type == ""
    assert (attempt.installation_id, attempt.fingerprint, attempt.user_agent) == ("", "", "")
    assert (attempt.latitude, attempt.longitude, attempt.ip_address) == (None, None, None)
    # What the attempt scored is not personal and stays.
    assert (attempt.score, attempt.passed, attempt.checks) == (80, False, CHECKS)
