"""Back office: endpoint health, the delivery log with its filters and Resend, events on an identification's page."""

import pytest

from identifications.actors import Actor
from identifications.models import WebhookDelivery, WebhookEndpoint
from identifications.services import identification_close
from identifications.services.webhooks import webhook_endpoint_create
from tests.admin import log_in_superuser
from tests.factories import IdentificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_delivery(organization, receiver, django_capture_on_commit_callbacks):
    receiver.then = 500
    webhook_endpoint_create(organization=organization, url=receiver.url)
    identification = IdentificationFactory(organization=organization)
    with django_capture_on_commit_callbacks(execute=True):
        identification_close(identification_id=identification.pk, actor=Actor.system())
    return WebhookDelivery.objects.get()


def test_endpoint_list_shows_health(client, failed_delivery):
    log_in_superuser(client)
    response = client.get("/admin/identifications/webhookendpoint/")
    assert response.status_code == 200
    assert WebhookEndpoint.objects.get().consecutive_failures == 1
    assert failed_delivery.endpoint.url in response.content.decode()


@pytest.mark.parametrize("query", ["", "?failed=yes", "?failed=no", "?event__type=identification.closed"])
def test_delivery_log_and_filters(client, failed_delivery, query):
    log_in_superuser(client)
    response = client.get(f"/admin/identifications/webhookdelivery/{query}")
    assert response.status_code == 200
    shown = len(response.context["cl"].result_list)
    assert shown == (0 if query == "?failed=no" else 1)


def test_resend_sends_the_same_event_again(client, failed_delivery, receiver, django_capture_on_commit_callbacks):
    log_in_superuser(client)
    receiver.then = 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/identifications/webhookdelivery/",
            {"action": "resend", "_selected_action": [failed_delivery.pk]},
        )
    assert response.status_code == 302
    assert len(set(receiver.ids())) == 1 and len(receiver.requests) == 2
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.SUCCEEDED


def test_identification_page_lists_its_events_and_deliveries(client, failed_delivery):
    log_in_superuser(client)
    identification_id = failed_delivery.event.identification_id
    response = client.get(f"/admin/identifications/identification/{identification_id}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert failed_delivery.event.public_id in page
    assert failed_delivery.endpoint.url in page
