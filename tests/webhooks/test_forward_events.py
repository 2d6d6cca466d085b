"""The local forwarder against a live server: new events arrive at the local URL, signed with the local secret."""

from io import StringIO

import pytest
from django.core.management import call_command
from standardwebhooks.webhooks import Webhook

from identifications.actors import Actor
from identifications.services import identification_close
from tests.factories import IdentificationFactory, OrganizationFactory, issue_key

SECRET = "whsec_" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"


# serialized_rollback: the migrations' reference rows (document types, configurations) survive the flush.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_forwards_new_events_signed_with_the_local_secret(live_server, receiver):
    organization = OrganizationFactory(slug="acme")
    _, key = issue_key(organization)
    identification = IdentificationFactory(organization=organization)
    identification_close(identification_id=identification.pk, actor=Actor.system())
    out = StringIO()

    call_command(
        "forward_events",
        "--base-url", live_server.url, "--org", "acme", "--api-key", key, "--forward-to", receiver.url,
        "--secret", SECRET, "--since", "2000-01-01T00:00:00+00:00", "--once",
        stdout=out,
    )  # fmt: skip

    (request,) = receiver.requests
    event = Webhook(SECRET).verify(request.body, request.headers)
    assert (event["type"], event["data"]["id"]) == ("identification.closed", str(identification.pk))
    assert "Forwarded" in out.getvalue() and "200" in out.getvalue()
