"""Request bodies in process: empty bodies, and chunked bodies on a server that cannot end them (Django's own).

Chunked bodies under gunicorn, which can, are in tests/transport/test_request_bodies.py.
"""

from identifications.models import Identification, IdentificationEvent
from tests.api.helpers import SEED_BODY, close_url, create_url, errors, post_json


def test_an_empty_create_body_is_a_400_and_creates_nothing(client, auth):
    response = client.post(create_url(), b"", content_type="application/json", headers=auth)

    assert response.status_code == 400
    assert [entry["code"] for entry in errors(response)] == ["invalid_request"]
    assert not Identification.objects.exists()


def test_an_empty_close_body_closes_without_a_reason(client, auth):
    identification_id = post_json(client, create_url(), SEED_BODY, auth).json()["id"]

    response = client.post(close_url(identification_id), b"", content_type="application/json", headers=auth)

    assert response.status_code == 204
    assert IdentificationEvent.objects.get(to_status="CLOSED").reason == ""


def test_a_chunked_body_the_server_cannot_end_is_a_411_and_creates_nothing(client, auth):
    # Django's development server hands over the raw socket: without a length the body has no known end.
    response = client.post(
        create_url(), b"{}", content_type="application/json", headers={**auth, "Transfer-Encoding": "chunked"}
    )

    assert response.status_code == 411
    assert [entry["code"] for entry in errors(response)] == ["length_required"]
    assert not Identification.objects.exists()
