import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from identifications.models import Identification, IdentificationEvent
from tests.factories import IdentificationFactory
from tests.reliability.racing import TRANSACTIONAL

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


@pytest.mark.parametrize("workers", ["0", "-1"])
def test_workers_below_one_is_an_error(workers):
    with pytest.raises(CommandError, match=re.escape("--workers must be at least 1.")):
        run("--workers", workers)


@TRANSACTIONAL
def test_two_workers_expire_every_due_identification_once_with_its_events(on_postgres, settings):
    """On PostgreSQL the batches run on two connections side by side (committed rows: each worker's connection
    must see them). Same outcome as one worker: every due row EXPIRED once, one audit and one public event each,
    a delivery for the organization that has an endpoint, and a second run changes nothing."""
    from identifications.models import Event, WebhookDelivery
    from identifications.services.webhooks import webhook_endpoint_create
    from tests.factories import OrganizationFactory

    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    listening, quiet = OrganizationFactory(slug="listening"), OrganizationFactory(slug="quiet")
    endpoint, _ = webhook_endpoint_create(organization=listening, url="http://127.0.0.1:9/hook")
    due = [
        make(expires_at=NOW - timedelta(minutes=minutes), organization=listening if minutes % 3 == 0 else quiet)
        for minutes in range(1, 24)
    ]
    not_due = make(expires_at=NOW + timedelta(minutes=1), organization=quiet)

    with time_machine.travel(NOW, tick=False):
        assert "Expired 23 identifications." in run("--batch-size", "4", "--workers", "2")
        assert "Expired 0 identifications." in run("--batch-size", "4", "--workers", "2")

    statuses = dict(Identification.objects.values_list("pk", "status"))
    assert {statuses[i.pk] for i in due} == {Status.EXPIRED}
    assert statuses[not_due.pk] == Status.PENDING
    audit = IdentificationEvent.objects.filter(to_status=Status.EXPIRED)
    assert sorted(e.identification_id for e in audit) == sorted(i.pk for i in due)
    public = Event.objects.filter(type="identification.expired")
    assert sorted(e.identification_id for e in public) == sorted(i.pk for i in due)
    assert {e.payload["data"]["status"] for e in public} == {"EXPIRED"}
    listened = {i.pk for i in due if i.organization_id == listening.pk}
    assert sorted(d.event.identification_id for d in WebhookDelivery.objects.filter(endpoint=endpoint)) == sorted(
        listened
    )
