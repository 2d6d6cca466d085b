"""Identification ids are version 7 UUIDs: random enough to be unguessable, ordered by creation time."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from identifications.time_ordered_ids import uuid7
from tests.factories import IdentificationFactory

START = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def test_a_version_7_rfc_9562_uuid_carrying_its_millisecond():
    with time_machine.travel(START, tick=False):
        value = uuid7()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert value.int >> 80 == int(START.timestamp() * 1000)


def test_later_ids_sort_after_earlier_ones_and_none_repeat():
    ids = []
    for step in range(50):
        with time_machine.travel(START + timedelta(milliseconds=step), tick=False):
            ids.append(uuid7())
    assert ids == sorted(ids)
    with time_machine.travel(START, tick=False):
        same_millisecond = {uuid7() for _ in range(1000)}
    assert len(same_millisecond) == 1000


@pytest.mark.django_db
def test_identifications_get_one():
    identification = IdentificationFactory()
    assert identification.pk.version == 7
