"""Validate at each assurance level when INTERNAL reads the evidence (mrz_read_from_evidence).

The evidence here is a blank image: the placeholder reader (and any real one) reads nothing off it, so only the
tests that say the reader finds an MRZ (`reader_reads_the_card`, or another person's card) get one.
"""

from datetime import UTC, datetime

import pytest
import time_machine

from identifications.models import Identification
from scoring import providers
from scoring.models import ScoringAttempt
from scoring.mrz_reader import MrzReading
from tests.api.helpers import create_url, post_json
from tests.api.validation_helpers import DECLARED, DEVICE, MATCHING_METADATA, MRZ, image_base64, validate_url

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("media_root")
# A valid TD1 of someone else, issued in Spain (tests/scoring/test_evidence_reading.py builds such lines).
SOMEONE_ELSE = (
    "IDESPBXZ654321087654321X<<<<<<",
    "9001011F3001019ESP<<<<<<<<<<<7",
    "PEREZ<RUIZ<<ANA<<<<<<<<<<<<<<<",
)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def validate_at(client, auth, level, *, evidence=True):
    with time_machine.travel(NOW, tick=False):
        opened = post_json(client, create_url(), {**DECLARED, "configuration_name": level}, auth).json()
        body = {"evidence_metadata": MATCHING_METADATA} | ({"evidence": image_base64()} if evidence else {})
        headers = {"Authorization": f"Bearer {opened['client_secret']}", **DEVICE}
        response = post_json(client, validate_url(opened["id"]), body, headers)
    assert response.status_code == 204, response.content
    identification = Identification.objects.get(pk=opened["id"])
    checks = {check["name"]: check for check in identification.result["checks"]}
    return identification, checks


def test_a_blank_image_with_perfect_metadata_does_not_verify_at_high(client, auth):
    identification, checks = validate_at(client, auth, "HIGH")

    assert (identification.status, identification.attempts_used) == ("PENDING", 1)
    assert identification.result["passed"] is False
    assert checks["mrz_read_from_evidence"] == {
        "name": "mrz_read_from_evidence",
        "passed": False,
        "weight": 20,
        "reason": "no MRZ was read off the evidence image: no machine-readable zone was found on the image",
    }
    # Everything the app claimed agrees: only the reading fails.
    assert [name for name, check in checks.items() if not check["passed"]] == ["mrz_read_from_evidence"]
    assert ScoringAttempt.objects.get(identification=identification).evidence_mrz is None


def test_a_blank_image_with_perfect_metadata_does_not_verify_at_medium(client, auth):
    identification, checks = validate_at(client, auth, "MEDIUM")

    assert (identification.status, identification.result["score"]) == ("PENDING", 80)  # above MEDIUM's 70
    assert checks["mrz_read_from_evidence"]["passed"] is False


def test_medium_without_evidence_still_verifies_on_the_metadata(client, auth):
    identification, checks = validate_at(client, auth, "MEDIUM", evidence=False)

    assert (identification.status, identification.result["score"]) == ("VERIFIED", 75)
    assert (checks["evidence_present"]["passed"], checks["mrz_read_from_evidence"]["reason"]) == (
        False,
        "no evidence was supplied",
    )


def test_high_without_evidence_does_not_verify(client, auth):
    identification, _ = validate_at(client, auth, "HIGH", evidence=False)
    assert identification.status == "PENDING"


def test_low_stays_as_staff_configured_it(client, auth):
    identification, checks = validate_at(client, auth, "LOW")
    assert (identification.status, checks["mrz_read_from_evidence"]["passed"]) == ("VERIFIED", False)


@pytest.mark.parametrize("level", ["MEDIUM", "HIGH"])
def test_the_card_read_off_the_image_verifies_and_is_kept(client, auth, reader_reads_the_card, level):
    identification, checks = validate_at(client, auth, level)

    assert (identification.status, identification.result["score"]) == ("VERIFIED", 100)
    assert checks["mrz_read_from_evidence"]["passed"] is True
    assert ScoringAttempt.objects.get(identification=identification).evidence_mrz == MRZ


@pytest.mark.parametrize("level", ["MEDIUM", "HIGH"])
def test_another_persons_document_does_not_verify(client, auth, monkeypatch, level):
    monkeypatch.setattr(providers, "read_mrz", lambda image: MrzReading(SOMEONE_ELSE, None))

    identification, checks = validate_at(client, auth, level)

    assert identification.status == "PENDING"
    assert checks["mrz_read_from_evidence"] == {
        "name": "mrz_read_from_evidence",
        "passed": False,
        "weight": 20,
        "reason": "the MRZ read off the evidence image disagrees on: MRZ sent by the app, document number, name, "
        "birth date",
    }
    assert ScoringAttempt.objects.get(identification=identification).evidence_mrz == list(SOMEONE_ELSE)
