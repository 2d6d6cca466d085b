"""The lifecycle's pieces on their own: the transitions table, the "as of now" reads, and selectors that only read."""

from datetime import UTC, datetime, timedelta

import pytest

from identifications import selectors
from identifications.actors import Actor
from identifications.models import Identification, IdentificationEvent
from identifications.services import lifecycle
from tests.factories import IdentificationFactory

pytestmark = pytest.mark.django_db
Status = Identification.Status
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def make(*, expires_at, **kwargs):
    return IdentificationFactory(created_at=expires_at - timedelta(days=7), expires_at=expires_at, **kwargs)


@pytest.fixture
def rows():
    return {
        "open": make(expires_at=NOW + timedelta(seconds=1)),
        "due": make(expires_at=NOW),
        "expired": make(expires_at=NOW - timedelta(days=1), status=Status.EXPIRED),
        "closed_past_expiry": make(expires_at=NOW - timedelta(days=1), status=Status.CLOSED),
    }


def test_a_transition_not_in_the_table_is_refused_and_writes_nothing():
    identification = make(expires_at=NOW + timedelta(days=1), status=Status.CLOSED)

    with pytest.raises(ValueError, match="CLOSED -> VERIFIED"):
        lifecycle._transition(
            Identification.objects.all(),
            identification.pk,
            from_status=Status.CLOSED,
            to_status=Status.VERIFIED,
            actor=Actor.system(),
            now=NOW,
        )

    assert Identification.objects.get(pk=identification.pk).status == Status.CLOSED
    assert not IdentificationEvent.objects.filter(identification=identification).exists()


def test_the_status_as_of_now_agrees_in_python_and_in_sql(rows):
    expected = {
        "open": Status.PENDING,
        "due": Status.EXPIRED,
        "expired": Status.EXPIRED,
        "closed_past_expiry": Status.CLOSED,
    }
    annotated = dict(Identification.objects.with_current_status(NOW).values_list("pk", "current_status"))

    assert {name: row.current_status(NOW) for name, row in rows.items()} == expected
    assert {name: annotated[row.pk] for name, row in rows.items()} == expected
    for status in Status:
        names = {name for name, value in expected.items() if value == status}
        found = set(Identification.objects.in_current_status(status, NOW).values_list("pk", flat=True))
        assert found == {rows[name].pk for name in names}, status


def test_open_and_due_for_expiry_split_the_pending_rows_at_now(rows):
    assert set(Identification.objects.open(NOW)) == {rows["open"]}
    assert set(Identification.objects.open()) == {rows["open"], rows["due"]}
    assert set(Identification.objects.due_for_expiry(NOW)) == {rows["due"]}


def test_reading_a_due_identification_through_the_selectors_writes_nothing(rows):
    due = rows["due"]
    organization = due.organization

    got = selectors.identification_get(organization=organization, identification_id=due.pk)
    listed = list(selectors.identification_list(organization=organization, status=Status.EXPIRED, now=NOW))

    assert got.status == Status.PENDING
    assert due in listed
    assert Identification.objects.get(pk=due.pk).status == Status.PENDING
    assert not IdentificationEvent.objects.filter(identification=due, to_status=Status.EXPIRED).exists()


def test_expiring_a_page_persists_each_due_row_once_with_its_event(rows):
    page = lifecycle.identifications_expire_page(list(Identification.objects.all()), now=NOW)
    lifecycle.identifications_expire_page(list(Identification.objects.all()), now=NOW)

    assert {row.pk: row.status for row in page}[rows["due"].pk] == Status.EXPIRED
    events = IdentificationEvent.objects.filter(identification=rows["due"], to_status=Status.EXPIRED)
    assert [(event.reason, event.actor_type) for event in events] == [
        (lifecycle.EXPIRED_REASON, IdentificationEvent.ActorType.SYSTEM)
    ]
    assert Identification.objects.get(pk=rows["open"].pk).status == Status.PENDING
