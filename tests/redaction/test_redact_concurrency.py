"""A redaction racing the holder's validation: whichever commits first, nothing personal survives. Real threads,
real PostgreSQL connections, real commits (so evidence files really are deleted on commit)."""

import threading
import time

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection, connections
from django.test import Client

from identifications.models import Identification, IdentificationEvent
from scoring.models import ScoringAttempt
from tests.api.helpers import create_url, post_json
from tests.api.validation_helpers import DECLARED, DEVICE, MATCHING_METADATA, image_base64, validate_url
from tests.factories import OrganizationFactory, issue_key
from tests.reliability.racing import race, values

ROUNDS = 3
LOCK_WAIT_TIMEOUT_SECONDS = 10


# These tests commit; serialized_rollback (as in the other racing tests) starts each from the migrated database's
# rows (document types, configurations), which the previous transactional test's flush removed.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_redact_racing_validate_leaves_no_personal_data_and_no_file(on_postgres, media_root, reader_reads_the_card):
    organization = OrganizationFactory(slug="acme")
    _, raw_key = issue_key(organization)
    auth = {"Authorization": f"Bearer {raw_key}"}
    evidence = image_base64()

    for _ in range(ROUNDS):
        identification_id = post_json(Client(), create_url(), DECLARED, auth).json()["id"]

        def validate(identification_id=identification_id):
            body = {"evidence": evidence, "evidence_metadata": MATCHING_METADATA}
            return post_json(Client(), validate_url(identification_id), body, {**auth, **DEVICE}).status_code

        def redact(identification_id=identification_id):
            return Client().generic("POST", f"{create_url()}/{identification_id}/redact", headers=auth).status_code

        validated, redacted = values(race([validate, redact]))

        assert redacted == 204
        # Validation either committed first (and was then redacted) or found the identification closed.
        assert validated in (204, 409)
        row = Identification.objects.get(pk=identification_id)
        assert (row.name, row.last_name, row.document_number, row.redacted_at is not None) == (None, None, None, True)
        attempts = ScoringAttempt.objects.filter(identification_id=identification_id)
        assert attempts.count() == (1 if validated == 204 else 0)
        assert all(a.evidence_metadata == {} and a.evidence_mrz is None and a.evidence.name == "" for a in attempts)
        redaction = IdentificationEvent.objects.get(identification_id=identification_id, reason__startswith="Personal")
        assert redaction.from_status == ("VERIFIED" if validated == 204 else "CLOSED")

    assert [path for path in media_root.rglob("*") if path.is_file()] == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_redaction_waits_for_a_validation_holding_the_row_then_erases_its_attempt(
    on_postgres, media_root, monkeypatch, reader_reads_the_card
):
    """The other order, forced: validation has locked the row and is writing its evidence when the redaction
    arrives. The redaction must wait, then see the new attempt and its file, and erase both."""
    organization = OrganizationFactory(slug="acme")
    _, raw_key = issue_key(organization)
    auth = {"Authorization": f"Bearer {raw_key}"}
    identification_id = post_json(Client(), create_url(), DECLARED, auth).json()["id"]
    holding = threading.Event()
    save = FileSystemStorage._save

    def save_once_the_redaction_waits(self, name, content):
        holding.set()
        _until_another_session_waits_for_a_lock()
        return save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", save_once_the_redaction_waits)
    body = {"evidence": image_base64(), "evidence_metadata": MATCHING_METADATA}
    validation = _in_thread(lambda: post_json(Client(), validate_url(identification_id), body, {**auth, **DEVICE}))
    assert holding.wait(LOCK_WAIT_TIMEOUT_SECONDS)
    redaction = _in_thread(lambda: Client().generic("POST", f"{create_url()}/{identification_id}/redact", headers=auth))

    assert validation().status_code == 204
    assert redaction().status_code == 204
    [attempt] = ScoringAttempt.objects.filter(identification_id=identification_id)
    assert (attempt.evidence_metadata, attempt.evidence_mrz, attempt.evidence.name, attempt.fingerprint) == (
        {},
        None,
        "",
        "",
    )
    redaction_event = IdentificationEvent.objects.get(identification_id=identification_id, reason__startswith="Pers")
    assert redaction_event.from_status == "VERIFIED"
    assert [path for path in media_root.rglob("*") if path.is_file()] == []


def _until_another_session_waits_for_a_lock():
    deadline = time.monotonic() + LOCK_WAIT_TIMEOUT_SECONDS
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # This session is inside the validation's transaction, where pg_stat_activity is a snapshot unless cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
    raise AssertionError("the redaction never waited for the validation's row lock")


def _in_thread(function):
    """Run `function` on a thread with its own connection; returns a callable that joins and gives its result."""
    result = {}

    def run():
        try:
            result["value"] = function()
        except BaseException as error:  # re-raised in the test's thread
            result["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def join():
        thread.join(LOCK_WAIT_TIMEOUT_SECONDS * 3)
        assert not thread.is_alive(), "the request did not finish"
        if "error" in result:
            raise result["error"]
        return result["value"]

    return join
