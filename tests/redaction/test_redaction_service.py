"""identification_redact: what is erased, what stays, when the files go, and what a rollback keeps."""

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from identifications.actors import Actor
from identifications.errors import IdentificationNotFound
from identifications.models import Identification, IdentificationEvent
from identifications.services.redaction import identification_redact
from scoring.models import ScoringAttempt
from tests.factories import IdentificationFactory, OrganizationFactory, ScoringAttemptFactory
from tests.redaction import assert_attempt_redacted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]
Status = Identification.Status
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
ACTOR = Actor.command("test")


@pytest.fixture
def verified():
    identification = IdentificationFactory(
        status=Status.VERIFIED, created_at=NOW - timedelta(days=2), updated_at=NOW - timedelta(days=1)
    )
    first = ScoringAttemptFactory(identification=identification, number=1, with_evidence=True)
    second = ScoringAttemptFactory(identification=identification, number=2)
    Identification.objects.filter(pk=identification.pk).update(
        result={"score": 80, "passed": True, "checks": []}, client_secret_hash="0" * 64
    )
    return identification, first, second


def test_erases_the_person_and_keeps_the_audit_record(verified, django_capture_on_commit_callbacks):
    identification, first, second = verified
    evidence_name = first.evidence.name
    assert default_storage.exists(evidence_name)

    with django_capture_on_commit_callbacks(execute=True):
        assert identification_redact(identification_id=identification.pk, actor=ACTOR, reason="GDPR request", now=NOW)

    row = Identification.objects.get(pk=identification.pk)
    assert (row.name, row.last_name, row.document_number, row.client_secret_hash) == (None, None, None, None)
    assert row.redacted_at == NOW
    # Not personal: kept, like the status and every timestamp.
    assert (row.document_type.code, str(row.document_country)) == ("NIF", "ES")
    assert (row.status, row.created_at, row.updated_at, row.expires_at) == (
        Status.VERIFIED,
        NOW - timedelta(days=2),
        NOW - timedelta(days=1),
        identification.expires_at,
    )
    assert row.result == {"score": 80, "passed": True, "checks": []}
    assert row.attempts_used == 2
    assert_attempt_redacted(first)
    assert_attempt_redacted(second)
    assert not default_storage.exists(evidence_name)
    [event] = IdentificationEvent.objects.filter(identification=identification)
    assert (event.from_status, event.to_status, event.reason, event.actor_type, event.actor, event.created_at) == (
        Status.VERIFIED,
        Status.VERIFIED,
        "Personal data redacted: GDPR request",
        "COMMAND",
        "test",
        NOW,
    )


def test_files_are_deleted_only_when_the_transaction_commits(verified, django_capture_on_commit_callbacks):
    identification, first, _ = verified

    with django_capture_on_commit_callbacks() as callbacks:
        identification_redact(identification_id=identification.pk, actor=ACTOR, now=NOW)
        assert default_storage.exists(first.evidence.name)

    assert len(callbacks) == 1
    callbacks[0]()
    assert not default_storage.exists(first.evidence.name)


def test_a_failure_after_the_file_deletion_was_registered_rolls_back_and_keeps_the_files(
    verified, monkeypatch, django_capture_on_commit_callbacks
):
    identification, first, _ = verified

    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    # The audit event is written after the file deletion is registered with on_commit (services.lifecycle writes
    # every event with bulk_create).
    monkeypatch.setattr(IdentificationEvent.objects, "bulk_create", fail)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        identification_redact(identification_id=identification.pk, actor=ACTOR, now=NOW)

    assert callbacks == []
    assert default_storage.exists(first.evidence.name)
    row = Identification.objects.get(pk=identification.pk)
    assert (row.name, row.document_number, row.redacted_at) == ("James", identification.document_number, None)
    first.refresh_from_db()
    assert first.evidence_metadata["document_number"] == "12345678Z"
    assert first.evidence.name


def test_an_enclosing_transaction_that_rolls_back_keeps_the_files(verified, django_capture_on_commit_callbacks):
    identification, first, _ = verified

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ZeroDivisionError), transaction.atomic():
        identification_redact(identification_id=identification.pk, actor=ACTOR, now=NOW)
        1 / 0  # noqa: B018

    assert default_storage.exists(first.evidence.name)
    assert Identification.objects.get(pk=identification.pk).redacted_at is None


def test_pending_is_closed_then_redacted():
    identification = IdentificationFactory(created_at=NOW - timedelta(hours=1))

    identification_redact(identification_id=identification.pk, actor=ACTOR, now=NOW)

    row = Identification.objects.get(pk=identification.pk)
    assert (row.status, row.closed_at, row.close_reason, row.redacted_at) == (
        Status.CLOSED,
        NOW,
        "Closed to redact personal data.",
        NOW,
    )
    events = IdentificationEvent.objects.filter(identification=identification)
    assert [(e.from_status, e.to_status, e.reason) for e in events] == [
        (Status.PENDING, Status.CLOSED, "Closed to redact personal data."),
        (Status.CLOSED, Status.CLOSED, "Personal data redacted."),
    ]


def test_pending_past_its_expiry_is_expired_then_redacted():
    identification = IdentificationFactory(created_at=NOW - timedelta(days=8), expires_at=NOW - timedelta(days=1))

    identification_redact(identification_id=identification.pk, actor=ACTOR, now=NOW)

    row = Identification.objects.get(pk=identification.pk)
    assert (row.status, row.closed_at, row.redacted_at) == (Status.EXPIRED, None, NOW)
    events = IdentificationEvent.objects.filter(identification=identification)
    assert [(e.from_status, e.to_status) for e in events] == [
        (Status.PENDING, Status.EXPIRED),
        (Status.EXPIRED, Status.EXPIRED),
    ]


def test_redacting_twice_changes_nothing_the_second_time(verified, django_capture_on_commit_callbacks):
    identification, _, _ = verified
    with django_capture_on_commit_callbacks(execute=True):
        identification_redact(identification_id=identification.pk, actor=ACTOR, now=NOW)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = identification_redact(identification_id=identification.pk, actor=ACTOR, now=NOW + timedelta(days=1))

    assert again is False
    assert callbacks == []
    assert Identification.objects.get(pk=identification.pk).redacted_at == NOW
    assert IdentificationEvent.objects.filter(identification=identification).count() == 1


def test_unknown_id_and_another_organizations_id_are_not_found():
    identification = IdentificationFactory(status=Status.CLOSED)

    with pytest.raises(IdentificationNotFound):
        identification_redact(identification_id=uuid.uuid4(), actor=ACTOR)
    with pytest.raises(IdentificationNotFound):
        identification_redact(identification_id=identification.pk, organization=OrganizationFactory(), actor=ACTOR)

    assert Identification.objects.get(pk=identification.pk).name == "James"
    assert not IdentificationEvent.objects.exists()


def test_a_long_reason_is_cut_to_fit_the_audit_trail():
    identification = IdentificationFactory(status=Status.CLOSED)

    identification_redact(identification_id=identification.pk, actor=ACTOR, reason="x" * 500)

    reason = IdentificationEvent.objects.get(identification=identification).reason
    assert len(reason) == 500
    assert reason.startswith("Personal data redacted: xxx")
    assert reason.endswith("x…")


def test_a_file_that_cannot_be_deleted_is_logged_by_name_and_the_redaction_stands(
    verified, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    identification, first, _ = verified
    name = first.evidence.name

    def refuse(name):
        raise OSError("read-only file system")

    monkeypatch.setattr(ScoringAttempt._meta.get_field("evidence").storage, "delete", refuse)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        assert identification_redact(identification_id=identification.pk, actor=ACTOR, now=NOW)

    assert Identification.objects.get(pk=identification.pk).redacted_at == NOW
    assert default_storage.exists(name)
    [record] = caplog.records
    assert name in record.getMessage()
