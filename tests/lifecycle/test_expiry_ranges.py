"""The due rows cut into ranges for the expiry's workers (identifications.services.expiry_batches), on PostgreSQL."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections, transaction

from identifications.actors import Actor
from identifications.models import Identification, IdentificationEvent
from identifications.services import expiry_batches
from identifications.services.lifecycle import identifications_expire_due
from tests.factories import IdentificationFactory
from tests.reliability.racing import TRANSACTIONAL

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def due(count, *, status="PENDING"):
    return [
        IdentificationFactory(created_at=NOW - timedelta(days=8), expires_at=NOW - timedelta(minutes=n), status=status)
        for n in range(1, count + 1)
    ]


def test_ranges_hold_one_batch_each_in_expiry_order_and_end_with_the_rest(on_postgres):
    rows = due(7)
    due(2, status="CLOSED")  # not due: not counted in any range
    ranges = expiry_batches.DueRanges(now=NOW, batch_size=3)

    claimed = []
    while (claim := ranges.claim()) is not None:
        claimed.append(claim)

    keys = sorted((row.expires_at, row.pk) for row in rows)
    assert [(c.rows, c.until) for c in claimed] == [(3, keys[2]), (3, keys[5]), (1, keys[6])]
    assert [c.after for c in claimed] == [expiry_batches.FIRST_KEY, keys[2], keys[5]]


def test_a_range_that_expires_fewer_rows_than_it_held_is_swept_again_from_its_start(on_postgres):
    """A row of the range was locked by another transaction (a close) when its batch ran: the run ends with the
    batches from that range's start, until they expire nothing more."""
    due(5)
    calls = []

    def expire(after, until):
        calls.append((after, until))
        # Ranges of 2, 2 and 1 rows; the second expires one of its two. Then the sweep finds it, then nothing.
        return [2, 1, 1, 1, 0][len(calls) - 1]

    total = expiry_batches.expire_in_ranges(now=NOW, batch_size=2, workers=1, expire=expire)

    second_range_start = calls[1][0]
    assert [until is None for _, until in calls] == [False, False, False, True, True]
    assert calls[3][0] == calls[4][0] == second_range_start
    assert total == 5


@TRANSACTIONAL
def test_a_row_locked_by_another_transaction_is_skipped_then_expired_by_the_next_run(on_postgres):
    """A close (or a validation) holds one due row's lock while the run passes: its range comes up short, the
    closing sweep skips it again, and the other rows are not held up. The next run expires it."""
    rows = due(5)
    locked_id = sorted(rows, key=lambda row: (row.expires_at, row.pk))[2].pk
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with transaction.atomic():
                Identification.objects.select_for_update().get(pk=locked_id)
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert holding.wait(timeout=30)
        assert identifications_expire_due(actor=Actor.command("test"), now=NOW, batch_size=2, workers=2) == 4
        assert Identification.objects.get(pk=locked_id).status == "PENDING"
    finally:
        release.set()
        holder.join(timeout=30)

    assert identifications_expire_due(actor=Actor.command("test"), now=NOW, batch_size=2, workers=2) == 1
    assert set(Identification.objects.values_list("status", flat=True)) == {"EXPIRED"}
    assert IdentificationEvent.objects.filter(to_status="EXPIRED").count() == 5
