"""Closing one identification by hand from its admin page."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from identifications.models import Identification, IdentificationEvent
from tests.admin import log_in, shown_messages
from tests.factories import IdentificationFactory

VIEW = "identifications.view_identification"
CLOSE = "identifications.close_identification"
Status = Identification.Status


def detail_url(identification):
    return reverse("admin:identifications_identification_change", args=[identification.pk])


def close_url(identification):
    return reverse("admin:identifications_identification_close", args=[identification.pk])


@pytest.fixture
def closer(client, db):
    return log_in(client, "closer", VIEW, CLOSE)


@pytest.mark.django_db
def test_close_url_is_the_documented_one():
    identification = IdentificationFactory()

    assert close_url(identification) == f"/admin/identifications/identification/{identification.pk}/close/"


def test_close_button_is_shown_on_a_pending_identification_to_a_user_allowed_to_close(client, closer):
    identification = IdentificationFactory()

    response = client.get(detail_url(identification))

    assert response.status_code == 200
    assert close_url(identification) in response.content.decode()


@pytest.mark.parametrize("status", [Status.CLOSED, Status.EXPIRED, Status.VERIFIED, Status.REJECTED])
def test_close_button_is_absent_once_the_identification_is_final(client, closer, status):
    identification = IdentificationFactory(status=status)

    response = client.get(detail_url(identification))

    assert response.status_code == 200
    assert close_url(identification) not in response.content.decode()


def test_close_button_is_absent_once_a_pending_identification_is_past_its_expiry(client, closer):
    identification = IdentificationFactory()

    with time_machine.travel(identification.expires_at + timedelta(seconds=1)):
        response = client.get(detail_url(identification))

    assert close_url(identification) not in response.content.decode()
    assert "Pending (past expiry)" in response.content.decode()


@pytest.mark.django_db
def test_user_without_the_close_permission_sees_no_button_and_gets_403(client):
    log_in(client, "viewer", VIEW)
    identification = IdentificationFactory()

    page = client.get(detail_url(identification))
    form = client.get(close_url(identification))
    post = client.post(close_url(identification), {"reason": "Trying anyway"})

    assert page.status_code == 200
    assert close_url(identification) not in page.content.decode()
    assert form.status_code == 403
    assert post.status_code == 403
    identification.refresh_from_db()
    assert identification.status == Status.PENDING
    assert not IdentificationEvent.objects.filter(identification=identification).exists()


def test_confirmation_page_asks_for_a_reason(client, closer):
    identification = IdentificationFactory()

    response = client.get(close_url(identification))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<textarea name="reason"' in html
    assert 'maxlength="500"' in html
    assert "csrfmiddlewaretoken" in html
    assert detail_url(identification) in html  # Cancel goes back to the identification
    identification.refresh_from_db()
    assert identification.status == Status.PENDING


def test_confirming_closes_through_the_service_and_records_who_and_why(client, closer):
    identification = IdentificationFactory()
    moment = timezone.now() + timedelta(hours=1)

    with time_machine.travel(moment, tick=False):
        response = client.post(close_url(identification), {"reason": "  Holder called support to cancel  "})

    assert response.status_code == 302
    assert response["Location"] == detail_url(identification)
    assert shown_messages(response) == [f"Identification {identification.pk} closed."]
    identification.refresh_from_db()
    assert identification.status == Status.CLOSED
    assert identification.closed_at == moment
    assert identification.close_reason == "Holder called support to cancel"
    event = IdentificationEvent.objects.get(identification=identification)
    assert (event.from_status, event.to_status) == (Status.PENDING, Status.CLOSED)
    assert event.actor_type == IdentificationEvent.ActorType.STAFF
    assert event.actor == "closer"
    assert event.staff_user == closer
    assert event.reason == "Holder called support to cancel"
    assert event.created_at == moment


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_missing_or_too_long_reason_closes_nothing(client, closer, reason):
    identification = IdentificationFactory()

    response = client.post(close_url(identification), {"reason": reason})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    identification.refresh_from_db()
    assert identification.status == Status.PENDING
    assert not IdentificationEvent.objects.filter(identification=identification).exists()


def test_a_reason_of_500_characters_is_accepted(client, closer):
    identification = IdentificationFactory()

    response = client.post(close_url(identification), {"reason": "x" * 500})

    assert response.status_code == 302
    assert IdentificationEvent.objects.get(identification=identification).reason == "x" * 500


def test_closing_an_identification_already_closed_shows_an_error(client, closer):
    identification = IdentificationFactory(status=Status.CLOSED)

    response = client.post(close_url(identification), {"reason": "Again"})

    assert response.status_code == 302
    assert response["Location"] == detail_url(identification)
    assert shown_messages(response) == [f"Identification {identification.pk} is CLOSED, not PENDING."]
    assert not IdentificationEvent.objects.filter(identification=identification).exists()


def test_closing_a_pending_identification_past_its_expiry_reports_the_service_error(client, closer):
    identification = IdentificationFactory()

    with time_machine.travel(identification.expires_at + timedelta(minutes=1)):
        response = client.post(close_url(identification), {"reason": "Too late"})

    assert response.status_code == 302
    [message] = shown_messages(response)
    assert message.startswith(f"Identification {identification.pk} was not closed: The identification is EXPIRED")
    identification.refresh_from_db()
    assert identification.status == Status.EXPIRED  # the service persisted what it found
    assert list(IdentificationEvent.objects.values_list("to_status", "actor_type")) == [(Status.EXPIRED, "SYSTEM")]


def test_closing_an_unknown_identification_redirects_with_a_message(client, closer):
    unknown = "5b0b5c1e-8a57-4c38-9a59-3b3e6f7b1b0e"

    response = client.post(
        reverse("admin:identifications_identification_close", args=[unknown]), {"reason": "Nothing there"}
    )

    assert response.status_code == 302
    [message] = shown_messages(response)
    assert unknown in message and "exist" in message
    assert not IdentificationEvent.objects.exists()


def test_close_is_csrf_protected(closer):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(closer)
    identification = IdentificationFactory()

    response = csrf_client.post(close_url(identification), {"reason": "Forged"})

    assert response.status_code == 403
    identification.refresh_from_db()
    assert identification.status == Status.PENDING


def test_anonymous_visitors_are_sent_to_the_login_page(db):
    identification = IdentificationFactory()

    response = Client().post(close_url(identification), {"reason": "Anonymous"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    identification.refresh_from_db()
    assert identification.status == Status.PENDING
