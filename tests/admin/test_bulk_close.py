"""The "Close selected identifications" changelist action and its confirmation page."""

import re

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from identifications.models import Identification, IdentificationEvent
from tests.admin import log_in, shown_messages
from tests.factories import IdentificationFactory

CHANGELIST = reverse("admin:identifications_identification_changelist")
VIEW = "identifications.view_identification"
CLOSE = "identifications.close_identification"
Status = Identification.Status


def choose_action(client, identifications):
    """The first step: staff tick rows and pick the action in the changelist."""
    return client.post(
        CHANGELIST,
        {
            "action": "close_selected",
            "index": 0,
            helpers.ACTION_CHECKBOX_NAME: [str(identification.pk) for identification in identifications],
        },
    )


def confirm(client, identifications, reason="Duplicate of another identification"):
    """The second step: the confirmation page's form."""
    return client.post(
        CHANGELIST,
        {
            "action": "close_selected",
            "post": "yes",
            "reason": reason,
            helpers.ACTION_CHECKBOX_NAME: [str(identification.pk) for identification in identifications],
        },
    )


@pytest.fixture
def closer(client, db):
    return log_in(client, "closer", VIEW, CLOSE)


def test_action_is_offered_to_users_allowed_to_close(client, closer):
    IdentificationFactory()

    response = client.get(CHANGELIST)

    assert '<option value="close_selected">Close selected identifications</option>' in response.content.decode()


@pytest.mark.django_db
def test_action_is_neither_offered_nor_run_for_users_without_the_permission(client):
    log_in(client, "viewer", VIEW)
    identification = IdentificationFactory()

    page = client.get(CHANGELIST)
    attempt = confirm(client, [identification])

    assert "close_selected" not in page.content.decode()
    # With no action available to them the changelist ignores the POST and just lists the rows.
    assert attempt.status_code == 200
    assert shown_messages(attempt) == []
    identification.refresh_from_db()
    assert identification.status == Status.PENDING
    assert not IdentificationEvent.objects.exists()


def test_choosing_the_action_shows_a_confirmation_page_and_closes_nothing(client, closer):
    first, second = IdentificationFactory(), IdentificationFactory()

    response = choose_action(client, [first, second])

    assert response.status_code == 200
    html = response.content.decode()
    assert "Close these 2 identifications?" in html
    assert f'name="{helpers.ACTION_CHECKBOX_NAME}" value="{first.pk}"' in html
    assert f'name="{helpers.ACTION_CHECKBOX_NAME}" value="{second.pk}"' in html
    assert '<textarea name="reason"' in html
    assert '<input type="hidden" name="post" value="yes">' in html
    assert set(Identification.objects.values_list("status", flat=True)) == {Status.PENDING}
    assert not IdentificationEvent.objects.exists()


def test_confirming_closes_the_open_ones_and_reports_the_skipped_ones(client, closer):
    first, second = IdentificationFactory(), IdentificationFactory()
    already_closed = IdentificationFactory(status=Status.CLOSED)

    response = confirm(client, [first, already_closed, second])

    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    assert shown_messages(response) == [
        "2 closed, 1 skipped.",
        f"Skipped because they were not open: {already_closed.pk} (CLOSED).",
    ]
    statuses = dict(Identification.objects.values_list("pk", "status"))
    assert statuses == {first.pk: Status.CLOSED, second.pk: Status.CLOSED, already_closed.pk: Status.CLOSED}
    events = IdentificationEvent.objects.order_by("identification_id")
    assert sorted(event.identification_id for event in events) == sorted([first.pk, second.pk])
    for event in events:
        assert (event.from_status, event.to_status) == (Status.PENDING, Status.CLOSED)
        assert event.actor_type == IdentificationEvent.ActorType.STAFF
        assert event.actor == "closer"
        assert event.staff_user == closer
        assert event.reason == "Duplicate of another identification"


def test_all_closed_is_reported_as_a_success(client, closer):
    first, second = IdentificationFactory(), IdentificationFactory()

    response = confirm(client, [first, second])

    assert shown_messages(response) == ["2 closed."]
    assert IdentificationEvent.objects.count() == 2


def test_confirming_without_a_reason_shows_the_page_again_and_closes_nothing(client, closer):
    identification = IdentificationFactory()

    response = confirm(client, [identification], reason=" ")

    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["This field is required."]
    identification.refresh_from_db()
    assert identification.status == Status.PENDING
    assert not IdentificationEvent.objects.exists()


def test_an_identification_that_left_the_filtered_list_is_still_reported(client, closer):
    # Staff filtered on PENDING and confirmed; meanwhile someone else closed one of the rows.
    identification = IdentificationFactory()
    Identification.objects.filter(pk=identification.pk).update(status=Status.CLOSED)

    response = client.post(
        f"{CHANGELIST}?status__exact=PENDING",
        {
            "action": "close_selected",
            "post": "yes",
            "reason": "Cleanup",
            helpers.ACTION_CHECKBOX_NAME: [str(identification.pk)],
        },
    )

    assert shown_messages(response) == [
        "0 closed, 1 skipped.",
        f"Skipped because they were not open: {identification.pk} (CLOSED).",
    ]


def test_the_confirmation_page_lists_the_selection_and_asks_why(client, closer):
    identification = IdentificationFactory()

    html = choose_action(client, [identification]).content.decode()

    assert "Close this identification?" in html
    assert f"<tr><td>{identification.pk}</td><td>{identification.organization}</td>" in html
    # The breadcrumbs end at the changelist, then the action.
    assert re.search(r"Identifications</a>\s*&rsaquo; Close selected identifications\s*</div>", html)
    assert "<th>Expires</th>" in html
    assert 'value="Confirm close"' in html
    assert "Why the identification is closed by hand; kept in its history." in html
    assert 'maxlength="500"' in html


def test_the_limit_holds_on_the_confirming_post_itself(client, closer, monkeypatch):
    # A hand-made confirming POST skips the confirmation page, where the limit used to be checked. (The limit is
    # lowered to 2 here so that the test needs 3 rows, not 501.)
    monkeypatch.setattr("identifications.admin.bulk_close.MAX_BULK_CLOSE", 2)
    identifications = [IdentificationFactory() for _ in range(3)]

    response = confirm(client, identifications)

    assert response.status_code == 302
    assert shown_messages(response) == ["Select at most 2 identifications to close at once."]
    assert set(Identification.objects.values_list("status", flat=True)) == {Status.PENDING}
    assert not IdentificationEvent.objects.exists()
