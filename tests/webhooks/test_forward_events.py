"""The local forwarder: new events arrive at the local URL, signed with the local secret. The events API is served
by Django's test client (the command's HTTP session is pointed at it), the receiver is a real local server."""

from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from standardwebhooks.webhooks import Webhook

from identifications.actors import Actor
from identifications.management.commands import forward_events
from identifications.services import identification_close
from tests.factories import IdentificationFactory

SECRET = "whsec_" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"
pytestmark = pytest.mark.django_db


class ClientSession:
    """The part of requests.Session the command uses, answered by Django's test client."""

    def __init__(self, client):
        self.client, self.headers = client, {}

    def get(self, url, params=None, timeout=None):
        parts = urlsplit(url)
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        response = self.client.get(path, params or {}, headers=self.headers)
        response.url, response.text = url, response.content.decode()
        return response


def test_forwards_new_events_signed_with_the_local_secret(client, api_key, organization, receiver, monkeypatch):
    identification = IdentificationFactory(organization=organization)
    identification_close(identification_id=identification.pk, actor=Actor.system())
    monkeypatch.setattr(forward_events, "new_session", lambda: ClientSession(client))
    out = StringIO()

    call_command(
        "forward_events",
        "--base-url", "http://testserver", "--org", "acme", "--api-key", api_key[1], "--forward-to", receiver.url,
        "--secret", SECRET, "--since", "2000-01-01T00:00:00+00:00", "--once",
        stdout=out,
    )  # fmt: skip

    (request,) = receiver.requests
    event = Webhook(SECRET).verify(request.body, request.headers)
    assert (event["type"], event["data"]["id"]) == ("identification.closed", str(identification.pk))
    assert "Forwarded" in out.getvalue() and "200" in out.getvalue()
