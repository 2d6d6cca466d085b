"""POST .../{identification_id}/validate: one scoring attempt, and the transition it earns.

The tests' immediate task backend runs the worker's scoring inside validate's request, so most tests read the
outcome right after the 204; tests/api/test_validate_async.py holds the attempt in the queue (processing, 409) and
tests/test_query_budgets.py counts validate's statements with the database queue."""

import base64
import io
import json
import os
import stat
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.files.storage import default_storage
from PIL import Image

from identifications.models import Event, Identification, IdentificationEvent
from scoring.models import ScoringAttempt
from tests.api.helpers import SEED_BODY, create_url, errors, post_json
from tests.api.validation_helpers import (
    DECLARED,
    DEVICE,
    MATCHING_METADATA,
    image_base64,
    retrieve_url,
    validate_url,
)

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def opened(client, auth):
    """A HIGH identification created through the API: (id, client_secret)."""
    with time_machine.travel(NOW, tick=False):
        body = post_json(client, create_url(), DECLARED, auth).json()
    return body["id"], body["client_secret"]


def holder(secret):
    return {"Authorization": f"Bearer {secret}", **DEVICE}


def validate(client, identification_id, headers, body):
    with time_machine.travel(NOW, tick=False):
        return post_json(client, validate_url(identification_id), body, headers)


def retrieve(client, identification_id, headers):
    with time_machine.travel(NOW, tick=False):
        return client.get(retrieve_url(identification_id), headers=headers)


def test_matching_document_is_verified_with_every_check_passed(client, opened, reader_reads_the_card):
    identification_id, secret = opened

    response = validate(
        client, identification_id, holder(secret), {"evidence": image_base64(), "evidence_metadata": MATCHING_METADATA}
    )

    assert response.status_code == 204, response.content
    body = retrieve(client, identification_id, {"Authorization": f"Bearer {secret}"}).json()
    assert body["status"] == "VERIFIED"
    assert body["attempts"] == {"used": 1, "max": 5, "processing": False}
    assert body["result"]["passed"] is True
    assert body["result"]["score"] == 100
    assert all(check["passed"] for check in body["result"]["checks"]), body["result"]["checks"]
    event = IdentificationEvent.objects.get(identification_id=identification_id, to_status="VERIFIED")
    assert (event.from_status, event.actor_type) == ("PENDING", "HOLDER")


def test_attempt_keeps_device_context_and_evidence_in_storage(client, opened):
    identification_id, secret = opened
    evidence = image_base64("JPEG")

    validate(client, identification_id, holder(secret), {"evidence": evidence, "evidence_metadata": MATCHING_METADATA})

    attempt = ScoringAttempt.objects.get(identification_id=identification_id)
    assert (attempt.installation_id, attempt.fingerprint, attempt.user_agent) == (
        "install-1",
        "fp-abc",
        "IdentityApp/2.1 (Android 14)",
    )
    assert (attempt.latitude, attempt.longitude, attempt.ip_address) == (40.4168, -3.7038, "127.0.0.1")
    assert attempt.evidence_content_type == "image/jpeg"
    assert attempt.evidence.name.endswith(".jpg")
    assert default_storage.exists(attempt.evidence.name)
    # The database holds the file's name, never its bytes or the person's number in the path.
    assert "12345678Z" not in attempt.evidence.name


@pytest.fixture
def permissive_umask():
    # The usual umask (022) would leave new files 0644 and folders 0755: readable by every local user.
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_evidence_files_and_folders_are_private_to_the_services_user(client, opened, media_root, permissive_umask):
    identification_id, secret = opened

    validate(client, identification_id, holder(secret), {"evidence": image_base64(), "evidence_metadata": {}})

    stored = Path(default_storage.path(ScoringAttempt.objects.get().evidence.name))
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    folders = [stored.parent, *[p for p in stored.parent.parents if p.is_relative_to(media_root)]]
    assert folders[-1] == media_root
    assert {folder.name: oct(stat.S_IMODE(folder.stat().st_mode)) for folder in folders} == {
        folder.name: oct(0o700) for folder in folders
    }


def test_seed_example_fails_the_control_letter_and_is_rejected_after_the_last_attempt(client, auth):
    with time_machine.travel(NOW, tick=False):
        identification_id = post_json(client, create_url(), SEED_BODY, auth).json()["id"]
    metadata = {"document_number": "12345678A", "document_type": "NIF", "country": "ES"}
    server_to_server = {**auth, **DEVICE}

    for attempt in range(1, 5):
        assert validate(client, identification_id, server_to_server, {"evidence_metadata": metadata}).status_code == 204
        body = retrieve(client, identification_id, auth).json()
        assert (body["status"], body["attempts"]) == ("PENDING", {"used": attempt, "max": 5, "processing": False})
        control = next(c for c in body["result"]["checks"] if c["name"] == "document_control_character")
        assert control["passed"] is False
        assert "12345678A" not in control["reason"]

    assert validate(client, identification_id, server_to_server, {"evidence_metadata": metadata}).status_code == 204
    body = retrieve(client, identification_id, auth).json()
    assert (body["status"], body["attempts"], body["result"]["passed"]) == (
        "REJECTED",
        {"used": 5, "max": 5, "processing": False},
        False,
    )
    assert IdentificationEvent.objects.filter(identification_id=identification_id, to_status="REJECTED").count() == 1

    sixth = validate(client, identification_id, server_to_server, {"evidence_metadata": metadata})
    assert sixth.status_code == 409
    assert errors(sixth)[0]["code"] == "identification_not_open"
    assert ScoringAttempt.objects.filter(identification_id=identification_id).count() == 5


def test_metadata_may_be_a_json_string(client, opened, reader_reads_the_card):
    identification_id, secret = opened

    response = validate(
        client,
        identification_id,
        holder(secret),
        {"evidence": image_base64(), "evidence_metadata": json.dumps(MATCHING_METADATA)},
    )

    assert response.status_code == 204
    assert Identification.objects.get(pk=identification_id).status == "VERIFIED"


def test_underscored_installation_header_is_accepted(client, opened):
    identification_id, secret = opened
    headers = {**holder(secret)}
    del headers["x-installation-id"]
    headers["x-installation_id"] = "install-underscore"

    assert validate(client, identification_id, headers, {}).status_code == 204
    assert ScoringAttempt.objects.get().installation_id == "install-underscore"


@pytest.mark.parametrize(
    ("drop", "override", "field", "code"),
    [
        ("x-installation-id", None, "x-installation_id", "required"),
        ("x-fingerprint", None, "x-fingerprint", "required"),
        ("User-Agent", None, "User-Agent", "required"),
        (None, {"x-location": "north"}, "x-location", "invalid_location"),
        (None, {"x-location": "91,0"}, "x-location", "invalid_location"),
        (None, {"x-location": "0,181"}, "x-location", "invalid_location"),
        (None, {"x-fingerprint": "f" * 201}, "x-fingerprint", "max_length"),
        (None, {"x-installation-id": ""}, "x-installation_id", "blank"),
    ],
)
def test_missing_or_malformed_headers_are_400_naming_them(client, opened, drop, override, field, code):
    identification_id, secret = opened
    headers = {**holder(secret), **(override or {})}
    if drop:
        del headers[drop]
    if drop == "User-Agent":
        headers["User-Agent"] = None  # The test client would otherwise send none at all; be explicit.
        del headers["User-Agent"]

    response = validate(client, identification_id, headers, {"evidence_metadata": MATCHING_METADATA})

    assert response.status_code == 400, response.content
    assert (field, code) in {(e.get("field"), e["code"]) for e in errors(response)}
    assert not ScoringAttempt.objects.exists()


GIF = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"evidence": "not base64!!"}, "evidence", "invalid_base64"),
        ({"evidence": "aGVsbG8gd29ybGQ="}, "evidence", "invalid_image"),
        ({"evidence": GIF}, "evidence", "invalid_image"),
        ({"evidence": 42}, "evidence", "invalid"),
        ({"evidence_metadata": "not json"}, "evidence_metadata", "invalid_json"),
        ({"evidence_metadata": "[1, 2]"}, "evidence_metadata", "invalid_json"),
        ({"evidence_metadata": [1, 2]}, "evidence_metadata", "invalid_json"),
        ({"evidence_metadata": 7}, "evidence_metadata", "invalid_json"),
        ({"evidence_metadata": {"birth_date": "2026-02-30"}}, "evidence_metadata.birth_date", "invalid"),
        ({"evidence_metadata": {"expiry_date": "01/01/2030"}}, "evidence_metadata.expiry_date", "invalid"),
        ({"evidence_metadata": {"mrz": ["ABC", "DEF"]}}, "evidence_metadata.mrz", "invalid"),
        ({"evidence_metadata": {"mrz": ["a" * 30, "b" * 30, "c" * 30]}}, "evidence_metadata.mrz", "invalid"),
        ({"evidence_metadata": {"mrz": "IDESP"}}, "evidence_metadata.mrz", "invalid"),
        ({"evidence_metadata": {"mrz": ["x"]}}, "evidence_metadata.mrz", "invalid"),
        ({"evidence_metadata": {"document_number": 123}}, "evidence_metadata.document_number", "invalid"),
        ({"evidence_metadata": {"country": "Spain"}}, "evidence_metadata.country", "invalid"),
        ({"evidence_metadata": {"nmae": "x"}}, "evidence_metadata.nmae", "unknown_field"),
        ({"evidence_metadata": '{"name": "a\\u0000b"}'}, "evidence_metadata.name", "control_characters_not_allowed"),
        ({"selfie": "x"}, "selfie", "unknown_field"),
    ],
)
def test_bad_input_is_400_and_consumes_no_attempt(client, opened, body, field, code):
    identification_id, secret = opened

    response = validate(client, identification_id, holder(secret), body)

    assert response.status_code == 400, response.content
    assert (field, code) in {(e.get("field"), e["code"]) for e in errors(response)}, errors(response)
    assert not ScoringAttempt.objects.exists()
    assert Identification.objects.get(pk=identification_id).attempts_used == 0


def test_evidence_with_spaces_around_its_base64_is_taken_as_before(client, opened):
    identification_id, secret = opened

    response = validate(client, identification_id, holder(secret), {"evidence": f"  {image_base64()} "})

    assert response.status_code == 204, response.content
    assert ScoringAttempt.objects.get().evidence_content_type == "image/png"


@pytest.mark.parametrize("spoiled", ["{}\n", "\t{}", "{}\x00"])
def test_evidence_with_a_control_character_around_its_base64_is_400_naming_it(client, opened, spoiled):
    identification_id, secret = opened

    response = validate(client, identification_id, holder(secret), {"evidence": spoiled.format(image_base64())})

    assert response.status_code == 400, response.content
    assert [(entry["field"], entry["code"]) for entry in errors(response)] == [
        ("evidence", "control_characters_not_allowed")
    ]
    assert not ScoringAttempt.objects.exists()


def test_evidence_never_prints_its_image():
    from identifications.services.attempts import Evidence

    evidence = Evidence(content=b"\xff\xd8 the holder's card", content_type="image/jpeg", extension=".jpg")

    assert "card" not in repr(evidence)
    assert "card" not in str(evidence)


def test_oversized_image_is_400(client, opened, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    identification_id, secret = opened

    response = validate(client, identification_id, holder(secret), {"evidence": image_base64(size=(400, 400))})

    assert response.status_code == 400
    assert errors(response)[0]["code"] == "too_large"
    assert not ScoringAttempt.objects.exists()


def test_body_over_the_endpoint_limit_is_413(client, opened, monkeypatch):
    from identifications.api.holder import IdentityDocumentIdentificationHolderViewSet

    monkeypatch.setattr(IdentityDocumentIdentificationHolderViewSet, "max_body_bytes", 2000)
    identification_id, secret = opened

    response = validate(client, identification_id, holder(secret), {"evidence": "A" * 4000})

    assert response.status_code == 413
    assert not ScoringAttempt.objects.exists()


@pytest.mark.parametrize("status", ["CLOSED", "VERIFIED", "REJECTED", "EXPIRED"])
def test_not_pending_is_409(client, opened, status):
    identification_id, secret = opened
    Identification.objects.filter(pk=identification_id).update(status=status)

    response = validate(client, identification_id, {**holder(secret)}, {})

    # A client secret keeps working until expiry, whatever the status: the holder learns it is over.
    assert response.status_code == 409
    assert status in errors(response)[0]["message"]
    assert not ScoringAttempt.objects.exists()


def test_client_secret_opens_only_its_own_identification(client, auth, opened):
    _, secret = opened
    with time_machine.travel(NOW, tick=False):
        other_id = post_json(client, create_url(), DECLARED, auth).json()["id"]

    response = validate(client, other_id, holder(secret), {})

    assert response.status_code == 401
    assert not ScoringAttempt.objects.exists()


@pytest.mark.parametrize("operation", ["create", "close"])
def test_client_secret_cannot_use_the_admin_operations(client, opened, operation):
    identification_id, secret = opened
    url = create_url() if operation == "create" else f"{create_url()}/{identification_id}/close"

    response = post_json(client, url, {}, {"Authorization": f"Bearer {secret}"})

    assert response.status_code == 401
    assert Identification.objects.get(pk=identification_id).status == "PENDING"


def test_an_empty_body_is_400_and_consumes_no_attempt(client, opened):
    identification_id, secret = opened

    response = validate(client, identification_id, holder(secret), b"")

    assert response.status_code == 400, response.content
    assert [entry["code"] for entry in errors(response)] == ["invalid_request"]
    assert not ScoringAttempt.objects.exists()
    assert Identification.objects.get(pk=identification_id).attempts_used == 0


def test_an_image_declaring_too_many_pixels_is_400_naming_the_field(client, opened, settings):
    # A few dozen bytes of PNG whose header declares 12000 x 12000: decoding it would take 144 megapixels (over 400 MB).
    settings.EVIDENCE_MAX_PIXELS = 40_000_000
    identification_id, secret = opened
    bomb = base64.b64encode(png_declaring(12000, 12000)).decode()

    response = validate(client, identification_id, holder(secret), {"evidence": bomb})

    assert response.status_code == 400, response.content
    assert [(entry["field"], entry["code"]) for entry in errors(response)] == [("evidence", "too_many_pixels")]
    assert not ScoringAttempt.objects.exists()


def png_declaring(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose IHDR chunk is rewritten to declare width x height (with a correct CRC)."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, format="PNG")
    png = bytearray(buffer.getvalue())
    ihdr = bytearray(png[12:29])  # b"IHDR" + 13 bytes of data
    ihdr[4:12] = struct.pack(">II", width, height)
    png[12:29] = ihdr
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    return bytes(png)


def test_an_image_within_the_pixel_cap_is_taken(client, opened, settings):
    settings.EVIDENCE_MAX_PIXELS = 64 * 40
    identification_id, secret = opened

    response = validate(client, identification_id, holder(secret), {"evidence": image_base64(size=(64, 40))})

    assert response.status_code == 204, response.content


def test_behind_the_proxy_the_attempt_records_the_clients_address(client, opened, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    identification_id, secret = opened
    # As nginx forwards it: the connection is the proxy's; the client's own X-Forwarded-For entry comes first.
    through_proxy = {**holder(secret), "X-Forwarded-For": "10.9.9.9, 203.0.113.7"}

    response = validate(client, identification_id, through_proxy, {"evidence_metadata": MATCHING_METADATA})

    assert response.status_code == 204, response.content
    assert ScoringAttempt.objects.get(identification_id=identification_id).ip_address == "203.0.113.7"


def test_a_failed_attempt_with_attempts_left_is_an_attempt_failed_event(client, opened):
    # MATCHING_METADATA without evidence fails HIGH and leaves the identification PENDING: no audit transition,
    # but the organization hears of the attempt (API.md "Events and webhooks").
    identification_id, secret = opened

    response = validate(client, identification_id, holder(secret), {"evidence_metadata": MATCHING_METADATA})

    assert response.status_code == 204
    events = Event.objects.filter(identification_id=identification_id).order_by("sequence")
    assert [(event.type, event.sequence) for event in events] == [
        ("identification.created", 1),
        ("identification.attempt_failed", 2),
    ]
    assert events[1].payload["data"]["status"] == "PENDING"
    assert events[1].payload["data"]["attempts"]["used"] == 1
