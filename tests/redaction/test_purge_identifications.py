"""manage.py purge_identifications: redacts terminal identifications past the retention period, in batches."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from identifications.actors import Actor
from identifications.models import Identification, IdentificationEvent
from identifications.services.lifecycle import identification_close
from tests.factories import IdentificationFactory, ScoringAttemptFactory
from tests.redaction import assert_attempt_redacted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]
Status = Identification.Status
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def run(*args):
    stdout = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("purge_identifications", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def ended(days_ago, status=Status.CLOSED, **kwargs):
    """An identification that moved into `status` `days_ago` days before NOW (updated_at is that move)."""
    ended_at = NOW - timedelta(days=days_ago)
    return IdentificationFactory(status=status, created_at=ended_at - timedelta(days=1), updated_at=ended_at, **kwargs)


def redacted_ids():
    return set(Identification.objects.filter(redacted_at__isnull=False).values_list("pk", flat=True))


def test_redacts_only_terminal_identifications_older_than_the_period(django_capture_on_commit_callbacks):
    due = [ended(91, status) for status in (Status.CLOSED, Status.EXPIRED, Status.VERIFIED, Status.REJECTED)]
    attempt = ScoringAttemptFactory(identification=due[2], with_evidence=True)
    evidence_name = attempt.evidence.name
    assert default_storage.exists(evidence_name)
    recent = ended(89)
    # PENDING is never purged, however old (expire_identifications makes it EXPIRED first).
    pending = IdentificationFactory(created_at=NOW - timedelta(days=200), expires_at=NOW - timedelta(days=193))

    with django_capture_on_commit_callbacks(execute=True):
        output = run("--older-than", "P90D")

    assert "Redacted 4 identifications." in output
    assert redacted_ids() == {identification.pk for identification in due}
    assert set(Identification.objects.filter(name="James").values_list("pk", flat=True)) == {recent.pk, pending.pk}
    assert_attempt_redacted(attempt)
    assert not default_storage.exists(evidence_name)
    events = IdentificationEvent.objects.all()
    assert sorted(event.identification_id for event in events) == sorted(identification.pk for identification in due)
    for event in events:
        assert event.from_status == event.to_status
        assert (event.actor_type, event.actor) == ("COMMAND", "purge_identifications")
        assert event.reason == "Personal data redacted: Retention period P90D passed."
        assert event.created_at == NOW


def test_the_period_counts_from_the_end_not_from_the_creation():
    created_at = NOW - timedelta(days=150)
    identification = IdentificationFactory(created_at=created_at, expires_at=created_at + timedelta(days=30))
    identification_close(
        identification_id=identification.pk, actor=Actor.system(), now=created_at + timedelta(days=29)
    )  # closed 121 days before NOW

    assert "Redacted 0 identifications." in run("--older-than", "P180D")
    assert "Redacted 0 identifications." in run("--older-than", "P122D")
    assert "Redacted 1 identifications." in run("--older-than", "P120D")
    assert redacted_ids() == {identification.pk}


def test_works_through_every_batch(capture_queries):
    due = [ended(100 + n) for n in range(5)]

    with capture_queries() as queries:
        output = run("--older-than", "P90D", "--batch-size", "2")

    assert "Redacted 5 identifications." in output
    assert redacted_ids() == {identification.pk for identification in due}
    # Ids are read two at a time: 2 + 2 + 1, then an empty batch ends the run.
    id_reads = [sql for sql in queries.statements if sql.startswith("SELECT") and "LIMIT 2" in sql]
    assert len(id_reads) == 4, id_reads


def test_dry_run_counts_and_changes_nothing():
    ended(91)
    ended(120, Status.REJECTED)
    ended(10)

    output = run("--older-than", "P90D", "--dry-run")

    assert "Would redact 2 identifications terminal for longer than P90D." in output
    assert redacted_ids() == set()
    assert not IdentificationEvent.objects.exists()


def test_running_twice_is_safe():
    ended(91)
    already = ended(95, redacted_at=NOW - timedelta(days=1), name=None, last_name=None, document_number=None)

    first = run("--older-than", "P90D")
    second = run("--older-than", "P90D")

    assert "Redacted 1 identifications." in first
    assert "Redacted 0 identifications." in second
    assert IdentificationEvent.objects.count() == 1
    assert not IdentificationEvent.objects.filter(identification=already).exists()
    assert Identification.objects.get(pk=already.pk).redacted_at == NOW - timedelta(days=1)


@pytest.mark.parametrize("value", ["90 days", "P", "P0D", "-P90D", "PT-1H", "P9999999999999D"])
def test_a_bad_duration_is_a_command_error(value):
    ended(91)

    with pytest.raises(CommandError, match="--older-than"):
        run("--older-than", value)

    assert redacted_ids() == set()


def test_the_period_is_required():
    with pytest.raises(CommandError, match="--older-than"):
        run()


def test_batch_size_must_be_positive():
    with pytest.raises(CommandError, match="--batch-size"):
        run("--older-than", "P90D", "--batch-size", "0")
