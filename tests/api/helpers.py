import json

from identifications.demo import SEED_REQUEST_BODY

BASE = "/v1/orgs/{org}/identifications/identity_document"

SEED_BODY = SEED_REQUEST_BODY


def create_url(org="acme"):
    return BASE.format(org=org)


def close_url(identification_id, org="acme"):
    return f"{BASE.format(org=org)}/{identification_id}/close"


def post_json(client, url, body, headers=None):
    payload = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, payload, content_type="application/json", headers=headers or {})


def errors(response):
    assert response["Content-Type"] == "application/json", response.content
    return response.json()["errors"]


def error_fields(response):
    return {(entry.get("field"), entry["code"]) for entry in errors(response)}
