"""ErrorsResponse for every non-2xx under /v1/, request ids, and no internals on a 500."""

import logging

import pytest
from django.db import OperationalError

from identifications import services
from tests.api.helpers import SEED_BODY, close_url, create_url, errors, post_json


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v1/"),
        ("get", "/v1/nothing/here"),
        ("post", "/v1/orgs/acme/identifications"),
        ("post", "/v1/orgs/acme/identifications/identity_document/"),
        ("delete", "/v1/orgs/acme/identifications/passport"),
    ],
)
def test_unknown_paths_are_404_errors_response(client, auth, method, path):
    response = getattr(client, method)(path, headers=auth)

    assert response.status_code == 404
    assert errors(response) == [{"code": "not_found", "message": "No API endpoint matches this path."}]


@pytest.mark.parametrize(
    ("method", "url"),
    [("patch", create_url()), ("put", create_url()), ("delete", create_url()), ("get", close_url("x"))],
)
def test_wrong_methods_are_405(client, auth, method, url):
    response = getattr(client, method)(url, headers=auth)

    assert response.status_code == 405
    assert errors(response)[0]["code"] == "method_not_allowed"


def test_request_id_is_generated_and_echoed(client, auth):
    generated = post_json(client, create_url(), {}, auth)
    echoed = client.post(
        create_url(), "{}", content_type="application/json", headers={**auth, "X-Request-ID": "abc-123"}
    )
    unsafe = client.post(
        create_url(), "{}", content_type="application/json", headers={**auth, "X-Request-ID": "a b\tc" * 50}
    )

    assert len(generated["X-Request-ID"]) == 32
    assert echoed["X-Request-ID"] == "abc-123"
    assert unsafe["X-Request-ID"] != "a b\tc" * 50


def test_unexpected_error_is_500_without_internals_and_logged_with_request_id(client, auth, monkeypatch, caplog):
    def explode(**kwargs):
        raise RuntimeError(f"secret internals: {kwargs['document_number']} {kwargs['name']}")

    monkeypatch.setattr(services, "identification_create", explode)

    with caplog.at_level(logging.ERROR, logger="identifications.api"):
        response = client.post(
            create_url(),
            SEED_BODY,
            content_type="application/json",
            headers={**auth, "X-Request-ID": "req-500"},
        )

    assert response.status_code == 500
    assert response["X-Request-ID"] == "req-500"
    assert errors(response)[0]["code"] == "internal_error"
    assert b"secret" not in response.content and b"Traceback" not in response.content
    [record] = [r for r in caplog.records if r.name == "identifications.api"]
    assert record.request_id == "req-500"
    assert "RuntimeError" in record.getMessage()
    # The exception's message can quote personal data, so it is withheld from the log.
    assert "12345678A" not in caplog.text and "James" not in caplog.text


def test_database_unavailable_is_503(client, auth, monkeypatch):
    def unavailable(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(services, "identification_close", unavailable)

    response = post_json(client, close_url("5b0b5c1e-8a57-4c38-9a59-3b3e6f7b1b0e"), {}, auth)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert errors(response)[0]["code"] == "service_unavailable"


def test_admin_pages_keep_html_404(client):
    response = client.get("/admin/no/such/page/")

    assert response.status_code in (302, 404)
    assert response["Content-Type"].startswith("text/html")
