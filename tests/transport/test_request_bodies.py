"""Request bodies as gunicorn hands them over: chunked bodies (no Content-Length) are read like the others.

Django reads CONTENT_LENGTH bytes; a chunked body used to arrive empty and be taken as `{}`. http.client sends an
iterable body with `Transfer-Encoding: chunked`, one chunk per item.
"""

import http.client
import json

import pytest

SEED = {
    "name": "James",
    "last_name": "Smith",
    "identity_document": {"document_number": "12345678A", "document_type": "NIF", "country": "ES"},
    "configuration_name": "HIGH",
}
API_MAX_BODY_BYTES = 64 * 1024  # the default of config/settings.py, which the served process uses


def chunks(payload: bytes, size: int = 7) -> list[bytes]:
    return [payload[start : start + size] for start in range(0, len(payload), size)]


def send(served, method: str, path: str, *, body=None, headers=None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection(served.host, served.port, timeout=30)
    try:
        all_headers = {"Authorization": f"Bearer {served.tenant.api_key}", **(headers or {})}
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def base(served) -> str:
    return f"/v1/orgs/{served.tenant.slug}/identifications/identity_document"


def post_chunked(served, path: str, payload: bytes, headers=None):
    request_headers = {"Content-Type": "application/json", **(headers or {})}
    return send(served, "POST", path, body=iter(chunks(payload)), headers=request_headers)


def test_a_chunked_create_is_read_whole(served):
    status, _, content = post_chunked(served, base(served), json.dumps(SEED).encode())

    assert status == 200, content
    body = json.loads(content)
    assert (body["name"], body["last_name"]) == ("James", "Smith")
    assert body["identity_document"]["document_number"] == "12345678A"


def test_an_invalid_chunked_create_is_a_400_naming_the_field(served):
    status, _, content = post_chunked(served, base(served), json.dumps({**SEED, "expires_in": "P31D"}).encode())

    assert status == 400, content
    assert [(entry["field"], entry["code"]) for entry in json.loads(content)["errors"]] == [("expires_in", "max_value")]


def test_a_chunked_body_over_the_limit_is_a_413(served):
    payload = json.dumps({**SEED, "name": "x" * API_MAX_BODY_BYTES}).encode()

    status, _, content = send(
        served,
        "POST",
        base(served),
        body=iter(chunks(payload, 4096)),
        headers={"Content-Type": "application/json"},
    )

    assert status == 413, content
    assert json.loads(content)["errors"][0]["code"] == "request_too_large"


@pytest.mark.parametrize("headers", [{}, {"Content-Type": "application/json"}], ids=["no-type", "json"])
def test_an_empty_create_body_is_a_400_naming_the_rule(served, headers):
    status, _, content = send(served, "POST", base(served), body=b"", headers={"Content-Length": "0", **headers})

    assert status == 400, content
    [entry] = json.loads(content)["errors"]
    assert entry["code"] == "invalid_request"
    assert "empty" in entry["message"]


def test_a_chunked_close_keeps_its_reason(served):
    _, _, created = post_chunked(served, base(served), json.dumps(SEED).encode())
    identification_id = json.loads(created)["id"]

    status, _, content = post_chunked(
        served, f"{base(served)}/{identification_id}/close", json.dumps({"reason": "Customer withdrew"}).encode()
    )

    assert status == 204, content
    _, _, got = send(served, "GET", f"{base(served)}/{identification_id}")
    assert json.loads(got)["close_reason"] == "Customer withdrew"


def test_the_idempotency_fingerprint_covers_the_chunked_bytes(served):
    key = {"Idempotency-Key": "chunked-fingerprint"}
    first, _, created = post_chunked(served, base(served), json.dumps(SEED).encode(), key)
    replay, replay_headers, replayed = post_chunked(served, base(served), json.dumps(SEED).encode(), key)
    other, _, refused = post_chunked(served, base(served), json.dumps({**SEED, "name": "Jane"}).encode(), key)

    assert (first, replay) == (200, 200)
    assert replay_headers.get("Idempotent-Replayed") == "true" and replayed == created
    assert other == 422, refused
    assert json.loads(refused)["errors"][0]["code"] == "idempotency_key_reused"
