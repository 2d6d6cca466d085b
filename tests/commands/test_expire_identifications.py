import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from identifications.models import Identification, IdentificationEvent
from tests.factories import IdentificationFactory

pytestmark = pytest.mark.django_db
Status = Identification.Status
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def run(*args):
    stdout = StringIO()
    call_command("expire_identifications", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def make(*, expires_at, **kwargs):
    return IdentificationFactory(created_at=expires_at - timedelta(days=7), expires_at=expires_at, **kwargs)


def test_expires_only_due_pending_identifications_with_one_event_each():
    due = [make(expires_at=NOW - timedelta(minutes=1)), make(expires_at=NOW)]
    not_due = make(expires_at=NOW + timedelta(seconds=1))
    closed = make(expires_at=NOW - timedelta(days=1), status=Status.CLOSED)

    with time_machine.travel(NOW, tick=False):
        output = run()

    assert "Expired 2 identifications." in output
    statuses = dict(Identification.objects.values_list("pk", "status"))
    assert [statuses[i.pk] for i in due] == [Status.EXPIRED, Status.EXPIRED]
    assert statuses[not_due.pk] == Status.PENDING
    assert statuses[closed.pk] == Status.CLOSED
    events = IdentificationEvent.objects.all()
    assert sorted(e.identification_id for e in events) == sorted(i.pk for i in due)
    for event in events:
        assert (event.from_status, event.to_status) == (Status.PENDING, Status.EXPIRED)
        assert event.actor_type == IdentificationEvent.ActorType.COMMAND
        assert event.actor == "expire_identifications"
        assert event.created_at == NOW


def test_running_twice_is_safe():
    make(expires_at=NOW - timedelta(hours=1))

    with time_machine.travel(NOW, tick=False):
        first = run()
        second = run()

    assert "Expired 1 identifications." in first
    assert "Expired 0 identifications." in second
    assert IdentificationEvent.objects.count() == 1


def test_later_run_expires_what_has_become_due():
    make(expires_at=NOW + timedelta(days=1))

    with time_machine.travel(NOW, tick=False):
        assert "Expired 0 identifications." in run()
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert "Expired 1 identifications." in run()

    assert Identification.objects.get().status == Status.EXPIRED


def test_batches_cover_every_due_identification():
    for minutes in range(7):
        make(expires_at=NOW - timedelta(minutes=minutes + 1))

    with time_machine.travel(NOW, tick=False):
        output = run("--batch-size", "3")

    assert "Expired 7 identifications." in output
    assert set(Identification.objects.values_list("status", flat=True)) == {Status.EXPIRED}
    assert IdentificationEvent.objects.count() == 7


@pytest.mark.parametrize("batch_size", ["0", "-1"])
def test_batch_size_below_one_is_an_error(batch_size):
    with pytest.raises(CommandError, match=re.escape("--batch-size must be at least 1.")):
        run("--batch-size", batch_size)
