"""The README's walkthrough with real photos and the real MRZ reader (no stand-in): the committed sample of José
María's card verifies at HIGH; a photo of someone else's card, a blank image or a receipt never does, whatever
the metadata says. The photos are the corpus renderer's (tests/ocr/corpus.py), the reader is scoring.mrz_reader."""

import base64
import io
import random
from datetime import UTC, datetime

import pytest
import time_machine
from PIL import Image

from identifications.models import Event, Identification
from scoring.models import ScoringAttempt
from tests.api.helpers import create_url, post_json
from tests.api.validation_helpers import DECLARED, DEVICE, MATCHING_METADATA, MRZ, validate_url
from tests.ocr.corpus import SAMPLE_PATH, Identity, random_identity, render_photo

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def declared_for(identity: Identity, level: str) -> dict:
    return {
        "name": identity.given_names,
        "last_name": identity.surnames,
        "identity_document": {"document_number": identity.document_number, "document_type": "NIF", "country": "ES"},
        "configuration_name": level,
    }


def validate(client, auth, declared: dict, metadata: dict, photo: bytes) -> tuple[Identification, dict]:
    with time_machine.travel(NOW, tick=False):
        opened = post_json(client, create_url(), declared, auth).json()
        body = {"evidence": base64.b64encode(photo).decode(), "evidence_metadata": metadata}
        headers = {"Authorization": f"Bearer {opened['client_secret']}", **DEVICE}
        response = post_json(client, validate_url(opened["id"]), body, headers)
    assert response.status_code == 204, response.content
    identification = Identification.objects.get(pk=opened["id"])
    return identification, {check["name"]: check for check in identification.result["checks"]}


def someone_else() -> Identity:
    return random_identity(random.Random(7), "NIF")


def test_the_walkthrough_sample_verifies_at_high(client, auth):
    identification, checks = validate(client, auth, DECLARED, MATCHING_METADATA, SAMPLE_PATH.read_bytes())

    assert (identification.status, identification.result["score"]) == ("VERIFIED", 100)
    assert checks["mrz_read_from_evidence"]["passed"] is True
    assert ScoringAttempt.objects.get(identification=identification).evidence_mrz == MRZ
    assert Event.objects.filter(identification=identification, type="identification.verified").count() == 1


def test_someone_elses_card_with_the_declared_persons_metadata_does_not_verify(client, auth):
    photo = render_photo(someone_else(), seed=11)

    identification, checks = validate(client, auth, DECLARED, MATCHING_METADATA, photo)

    assert identification.status == "PENDING"
    reason = checks["mrz_read_from_evidence"]["reason"]
    assert checks["mrz_read_from_evidence"]["passed"] is False
    assert "document number" in reason and "name" in reason
    # The reason names what disagreed, never the other person's data.
    other = someone_else()
    assert other.document_number not in reason and other.surnames.upper() not in reason.upper()


def test_someone_elses_card_without_the_apps_mrz_still_does_not_verify(client, auth):
    # The app may send nothing but the declared data: the image itself is what is compared.
    metadata = {key: value for key, value in MATCHING_METADATA.items() if key != "mrz"}

    identification, checks = validate(client, auth, DECLARED, metadata, render_photo(someone_else(), seed=12))

    assert identification.status == "PENDING"
    assert checks["mrz_read_from_evidence"]["passed"] is False


def test_the_same_photo_presented_for_another_identity_does_not_verify(client, auth):
    photo = SAMPLE_PATH.read_bytes()
    verified, _ = validate(client, auth, DECLARED, MATCHING_METADATA, photo)
    other = someone_else()
    other_metadata = {
        "document_number": other.document_number,
        "document_type": "NIF",
        "country": "ES",
        "name": other.given_names,
        "last_name": other.surnames,
    }

    impostor, checks = validate(client, auth, declared_for(other, "HIGH"), other_metadata, photo)

    assert (verified.status, impostor.status) == ("VERIFIED", "PENDING")
    assert checks["mrz_read_from_evidence"]["passed"] is False


@pytest.mark.parametrize("level", ["MEDIUM", "HIGH"])
def test_a_blank_photo_with_perfect_metadata_does_not_verify(client, auth, level):
    buffer = io.BytesIO()
    Image.new("RGB", (1024, 768), "white").save(buffer, "JPEG")

    identification, checks = validate(client, auth, DECLARED, MATCHING_METADATA, buffer.getvalue())

    assert identification.status == "PENDING"
    assert checks["mrz_read_from_evidence"]["passed"] is False
