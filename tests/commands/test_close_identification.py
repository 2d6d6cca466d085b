import re
import uuid
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from identifications.models import Identification, IdentificationEvent
from tests.factories import IdentificationFactory

pytestmark = pytest.mark.django_db
Status = Identification.Status


def run(*args):
    stdout = StringIO()
    call_command("close_identification", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def test_closes_a_pending_identification_and_records_who_and_why():
    identification = IdentificationFactory()

    output = run(str(identification.pk), "--reason", "Customer asked by phone")

    identification.refresh_from_db()
    assert identification.status == Status.CLOSED
    assert identification.close_reason == "Customer asked by phone"
    assert identification.closed_at is not None
    event = IdentificationEvent.objects.get(identification=identification)
    assert (event.from_status, event.to_status) == (Status.PENDING, Status.CLOSED)
    assert event.actor_type == IdentificationEvent.ActorType.COMMAND
    assert event.actor == "close_identification"
    assert event.reason == "Customer asked by phone"
    assert f"Closed identification {identification.pk}." in output


def test_output_reveals_no_personal_data():
    identification = IdentificationFactory(name="Zebulon", last_name="Quixote", document_number="87654321X")

    output = run(str(identification.pk))

    for secret in ("Zebulon", "Quixote", "87654321X"):
        assert secret not in output


def test_malformed_uuid_is_an_error():
    with pytest.raises(CommandError, match=re.escape("'not-a-uuid' is not a valid UUID.")):
        run("not-a-uuid")


def test_unknown_identification_is_an_error():
    missing = uuid.uuid4()

    with pytest.raises(CommandError, match=f"No identification has the id {missing}."):
        run(str(missing))


@pytest.mark.parametrize("status", [Status.CLOSED, Status.EXPIRED, Status.VERIFIED, Status.REJECTED])
def test_identification_that_is_not_open_is_an_error_naming_its_status(status):
    identification = IdentificationFactory(status=status)

    with pytest.raises(CommandError, match=f"is {status}; only a PENDING identification can be closed"):
        run(str(identification.pk))

    identification.refresh_from_db()
    assert identification.status == status
    assert not IdentificationEvent.objects.exists()


def test_pending_identification_past_its_expiry_is_expired_not_closed():
    identification = IdentificationFactory()

    with (
        time_machine.travel(identification.expires_at + timedelta(seconds=1), tick=False),
        pytest.raises(CommandError, match="is EXPIRED"),
    ):
        run(str(identification.pk))

    identification.refresh_from_db()
    assert identification.status == Status.EXPIRED
    assert list(IdentificationEvent.objects.values_list("to_status", flat=True)) == [Status.EXPIRED]


def test_reason_longer_than_500_characters_is_an_error():
    identification = IdentificationFactory()

    with pytest.raises(CommandError, match="at most 500 characters"):
        run(str(identification.pk), "--reason", "x" * 501)

    identification.refresh_from_db()
    assert identification.status == Status.PENDING


def test_reason_is_optional():
    identification = IdentificationFactory()

    run(str(identification.pk))

    assert IdentificationEvent.objects.get().reason == ""
