"""Under /v1/ every answer is an ErrorsResponse, also where Django's middleware answers before any view: CSRF on
unknown paths, and a Host that ALLOWED_HOSTS does not list. Against gunicorn with production settings (DEBUG off)."""

import http.client
import json

import pytest

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
UNKNOWN_PATHS = ["/v1/nothing-here", "/v1/orgs/transport/identifications/identity_document/", "/v1/orgs/"]


def request(served, method, path, *, host=None, body=None, headers=None):
    connection = http.client.HTTPConnection(served.host, served.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        all_headers = {"Host": host or f"127.0.0.1:{served.port}", **(headers or {})}
        if body is not None:
            all_headers["Content-Length"] = str(len(body))
        for name, value in all_headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", UNKNOWN_PATHS)
@pytest.mark.parametrize("method", METHODS)
def test_every_method_on_an_unknown_path_is_a_json_404(served, method, path):
    body = b"{}" if method in {"POST", "PUT", "PATCH"} else None
    headers = {"Content-Type": "application/json"} if body else {}

    status, content_type, content = request(served, method, path, body=body, headers=headers)

    assert (status, content_type) == (404, "application/json"), content[:300]
    assert [entry["code"] for entry in json.loads(content)["errors"]] == ["not_found"]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_disallowed_host_is_a_json_400_naming_it(served, method):
    path = f"/v1/orgs/{served.tenant.slug}/identifications/identity_document"

    status, content_type, content = request(served, method, path, host="evil.example", body=b"{}" * (method == "POST"))

    assert (status, content_type) == (400, "application/json"), content[:300]
    assert json.loads(content)["errors"] == [
        {"code": "disallowed_host", "message": "This host name is not served here.", "field": "Host"}
    ]


def test_a_disallowed_host_outside_the_api_keeps_djangos_page(served):
    status, content_type, _ = request(served, "GET", "/admin/login/", host="evil.example")

    assert status == 400 and content_type.startswith("text/html")
