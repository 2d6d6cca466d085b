from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from identifications.models import IdempotencyRecord
from identifications.services import idempotency
from tests.factories import OrganizationFactory

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def run(*args):
    stdout = StringIO()
    call_command("purge_idempotency_keys", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def claim(organization, key, at):
    with time_machine.travel(at, tick=False):
        idempotency.idempotency_claim(organization=organization, key=key, fingerprint="f" * 64)


def test_deletes_expired_records_in_batches_and_keeps_live_ones():
    organization = OrganizationFactory()
    for number in range(5):
        claim(organization, f"old-{number}", NOW - timedelta(hours=24, seconds=number))
    claim(organization, "fresh", NOW - timedelta(hours=23, minutes=59))

    with time_machine.travel(NOW, tick=False):
        output = run("--batch-size", "2")

    assert "Deleted 5 expired idempotency records." in output
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


def test_nothing_to_delete():
    assert "Deleted 0 expired idempotency records." in run()


def test_batch_size_must_be_positive():
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        run("--batch-size", "0")
