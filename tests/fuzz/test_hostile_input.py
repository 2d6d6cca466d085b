"""A corpus of hostile requests, sent to every operation of the served OpenAPI document (so a new endpoint is covered
the day it is published): each must be a 4xx ErrorsResponse, never a 5xx, and must change nothing.

Each case starts from a request the operation would accept (a real, PENDING identification of the caller's
organization, a valid body and headers) and spoils one thing, so the 4xx can only come from that one thing.
"""

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from identifications.models import IdempotencyRecord, Identification, IdentificationEvent
from identifications.services import idempotency
from scoring.models import ScoringAttempt
from tests.factories import IdentificationFactory
from tests.fuzz.schema_walk import Operation, operations_of, string_fields

SCHEMA = Client().get("/v1/schema/?format=json").json()
OPERATIONS = operations_of(SCHEMA)
UNKNOWN_ID = "5b0b5c1e-8a57-4c38-9a59-3b3e6f7b1b0e"


@dataclass
class Request:
    method: str
    path: str
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)
    query: str = ""


PREFIXED_IDS = {"event_id": "evt_" + "f" * 32, "endpoint_id": "we_" + "f" * 24}


def baseline(operation: Operation, identification_id: str, api_key: str) -> Request:
    """A request `operation` accepts: the hostile cases below each spoil one part of it."""
    ids = {name: PREFIXED_IDS.get(name, identification_id) for name in operation.id_parameters}
    path = operation.path.format(org_id="acme", **ids)
    headers = {"Authorization": f"Bearer {api_key}"}
    if operation.has_header("x-fingerprint"):
        headers |= {"x-installation-id": "install-1", "x-fingerprint": "fp-1", "User-Agent": "IdentityApp/2.1"}
    body = json.dumps(operation.example_body).encode() if operation.has_body else None
    return Request(operation.method, path, body=body, headers=headers)


def with_field(operation: Operation, path: tuple, value: Any) -> bytes:
    """The operation's example body with the field at `path` (keys, or 0 for a list's first item) set to `value`."""
    body = json.loads(json.dumps(operation.example_body))
    target = body
    for key, next_key in zip(path, [*path[1:], None], strict=True):
        if next_key is None:
            break
        if isinstance(target, dict) and not isinstance(target.get(key), dict | list):
            target[key] = [] if next_key == 0 else {}
        target = target[key]
    if isinstance(target, list):
        target[:] = [value]
    else:
        target[path[-1]] = value
    return json.dumps(body).encode()


# One hostile case: its id, how it spoils the baseline request, and what the answer must be.
@dataclass(frozen=True)
class Case:
    id: str
    spoil: Any  # (operation, request) -> None, editing the request
    status: int
    codes: frozenset  # one of these codes is among the errors; empty: any code
    field: str | None = None  # an error names this field (or an item of it)


def has_prefixed_id(op) -> bool:
    return any(name in PREFIXED_IDS for name in op.id_parameters)


def _known_event_and_endpoint(organization):
    """The event and webhook endpoint the baseline's prefixed ids name."""
    from identifications.models import Event, WebhookEndpoint
    from identifications.services.events import events_record
    from identifications.services.webhooks import webhook_endpoint_create

    endpoint, _ = webhook_endpoint_create(organization=organization, url="https://hooks.example/acme")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(public_id=PREFIXED_IDS["endpoint_id"])
    identification = IdentificationFactory(organization=organization)
    event = events_record(
        identification_id=identification.pk, from_status=None, to_status="PENDING", now=timezone.now()
    )
    Event.objects.filter(pk=event.pk).update(public_id=PREFIXED_IDS["event_id"])


def with_unknown_prefixed_id(op, req):
    req.path = op.path.format(org_id="acme", **PREFIXED_IDS)


def _cases_for(operation: Operation) -> list[Case]:
    cases: list[Case] = []

    def add(case_id, spoil, status, *codes, applies=lambda op: True, field=None):
        if applies(operation):
            cases.append(Case(case_id, spoil, status, frozenset(codes), field))

    has_body = lambda op: op.has_body  # noqa: E731
    posts = lambda op: op.method == "POST"  # noqa: E731

    # Every string field of the body: control characters, wrong JSON types, null where null is not allowed.
    for path, nullable in string_fields(operation):
        name = ".".join(map(str, path))
        named = ".".join(str(key) for key in path if key != 0)
        for label, char in [("NUL", "\x00"), ("ESC", "\x1b"), ("DEL", "\x7f"), ("C1 CSI", "\x9b")]:
            add(
                f"{label} in {name}",
                lambda op, req, p=path, c=char: setattr(req, "body", with_field(op, p, f"ab{c}cd")),
                400,
                "control_characters_not_allowed",
                "invalid",
                "invalid_choice",
                field=named,
            )
        for label, value in [("number", 42), ("float", 4.2), ("true", True), ("false", False), ("object", {})]:
            add(
                f"{label} as {name}",
                lambda op, req, p=path, v=value: setattr(req, "body", with_field(op, p, v)),
                400,
                "invalid",
                "not_a_list",
                "invalid_choice",
                field=named,
            )
        if not nullable:
            add(
                f"null as {name}",
                lambda op, req, p=path: setattr(req, "body", with_field(op, p, None)),
                400,
                "null",
                field=named,
            )
        add(
            f"unpaired surrogate in {name}",
            lambda op, req, p=path: setattr(req, "body", with_field(op, p, "ab\ud800cd")),
            400,
            # DRF's "surrogate_characters_not_allowed", or the field's own rule (length, base64, choice) first
            field=named,
        )

    # The body as a whole.
    raw_bodies = [
        ("invalid UTF-8", b'{"name": "\xff\xfe\xfd"}', "parse_error"),
        ("truncated UTF-8 sequence", b'{"name": "\xe2\x82"}', "parse_error"),
        ("duplicate keys", b'{"reason": "a", "reason": "b", "name": "a", "name": "b"}', "parse_error"),
        (
            "duplicate keys, nested",
            b'{"identity_document": {"a": 1, "a": 2}, "evidence_metadata": {"a": 1, "a": 2}}',
            "parse_error",
        ),
        ("NaN", b'{"name": NaN}', "parse_error"),
        ("Infinity", b'{"name": -Infinity}', "parse_error"),
        ("a 5,000-digit number", b'{"name": ' + b"9" * 5000 + b"}", "parse_error"),
        ("20,000 nested arrays", b"[" * 20_000 + b"]" * 20_000, "parse_error"),
        ("10,000 nested objects", b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "parse_error"),
        ("not JSON", b"name=James", "parse_error"),
        ("null", b"null", "invalid_request"),
        ("true", b"true", "invalid_request"),
        ("a number", b"42", "invalid_request"),
        ("a string", b'"hello"', "invalid_request"),
        ("an array", b'[{"name": "James"}]', "invalid_request"),
        ("NUL as a key", b'{"\\u0000": 1}', "unknown_field"),
        ("NUL byte between tokens", b'{"name":\x00"James"}', "parse_error"),
    ]
    for label, raw, code in raw_bodies:
        add(f"body: {label}", lambda op, req, r=raw: setattr(req, "body", r), 400, code, applies=has_body)

    def nested_metadata_text(op, req):
        req.body = json.dumps({"evidence_metadata": "[" * 5_000 + "]" * 5_000}).encode()

    add(
        "5,000 nested arrays inside the metadata's JSON text",
        nested_metadata_text,
        400,
        "invalid_json",
        applies=lambda op: "evidence_metadata" in (op.example_body or {}),
    )

    def huge_body(op, req):
        limit = getattr(
            settings, "API_MAX_VALIDATE_BODY_BYTES" if op.has_header("x-fingerprint") else "API_MAX_BODY_BYTES"
        )
        req.body = b'{"name": "' + b"a" * limit + b'"}'

    add("body one byte over the limit", huge_body, 413, "request_too_large", applies=has_body)
    add(
        "text/plain body",
        lambda op, req: setattr(req, "content_type", "text/plain"),
        415,
        "unsupported_media_type",
        applies=has_body,
    )
    add(
        "form-encoded body",
        lambda op, req: (
            setattr(req, "content_type", "application/x-www-form-urlencoded"),
            setattr(req, "body", b"a=1"),
        ),
        415,
        "unsupported_media_type",
        applies=has_body,
    )

    # Headers.
    def header(name, value):
        return lambda op, req: req.headers.__setitem__(name, value)

    add("100 KB Authorization header", header("Authorization", "Bearer " + "a" * 100_000), 401, "authentication_failed")
    add("100 KB client secret", header("Authorization", "Bearer idsec_" + "a" * 100_000), 401, "authentication_failed")
    add("NUL in the Authorization header", header("Authorization", "Bearer ab\x00cd.ef"), 401, "authentication_failed")
    add("Authorization without a key", header("Authorization", "Bearer "), 401, "authentication_failed")
    add(
        "10,000-character Idempotency-Key",
        header(idempotency.HEADER, "k" * 10_000),
        400,
        "max_length",
        applies=posts,
    )
    add(
        "Idempotency-Key with non-ASCII characters",
        header(idempotency.HEADER, "clé-ü"),
        400,
        "invalid",
        applies=posts,
    )
    for name in ("x-installation-id", "x-fingerprint", "User-Agent", "x-location"):
        add(
            f"100 KB {name}",
            header(name, "a" * 100_000),
            400,
            "max_length",
            "invalid_location",
            applies=lambda op: op.has_header("x-fingerprint"),
        )

    # Path ids of every wrong shape.
    def with_id(raw_id):
        def spoil(op, req):
            req.path = op.path.format(org_id="acme", **{name: raw_id for name in op.id_parameters})

        return spoil

    # Identification ids are UUIDs; event and webhook endpoint ids are prefixed (`evt_...`, `we_...`), checked below.
    has_id = lambda op: bool(op.id_parameters) and not has_prefixed_id(op)  # noqa: E731
    wrong_ids = [
        ("not a UUID", "not-a-uuid"),
        ("a number", "12345"),
        ("a UUID in braces", "{" + UNKNOWN_ID + "}"),
        ("a urn:uuid:", "urn:uuid:" + UNKNOWN_ID),
        ("32 hex digits without hyphens", UNKNOWN_ID.replace("-", "")),
        ("hyphens in the wrong places", UNKNOWN_ID.replace("-", "")[:4] + "-" + UNKNOWN_ID.replace("-", "")[4:]),
        ("a UUID and a trailing space", UNKNOWN_ID + "%20"),
        ("a UUID and a newline", UNKNOWN_ID + "%0A"),
        ("NUL", "%00"),
        ("a UUID with NUL inside", UNKNOWN_ID[:8] + "%00" + UNKNOWN_ID[9:]),
        ("10,000 characters", "a" * 10_000),
        ("..", ".."),
        ("percent-encoded ..", "%2e%2e"),
        ("percent-encoded junk", "%ff%fe%00%c0%af"),
        ("SQL", "'%20OR%201=1--"),
    ]
    for label, raw_id in wrong_ids:
        add(f"id: {label}", with_id(raw_id), 400, "invalid", applies=has_id)
    # Servers decode %2F before routing, so this is another path, which no endpoint matches.
    add("id: percent-encoded slashes", with_id("%2F..%2F..%2Fadmin"), 404, "not_found", applies=has_id)
    # The hyphenated form is case-insensitive (tests/api/test_retrieve.py): an unknown one, upper-cased, is a 404.
    add("id: an unknown UUID in upper case", with_id(UNKNOWN_ID.upper()), 404, "not_found", applies=has_id)
    for label, raw_id in [("a UUID", UNKNOWN_ID), ("another kind's prefix", "cus_" + "0" * 32), ("NUL", "%00")]:
        add(f"prefixed id: {label}", with_id(raw_id), 400, "invalid", applies=has_prefixed_id)
    add("prefixed id: unknown", with_unknown_prefixed_id, 404, "not_found", applies=has_prefixed_id)

    # Query parameters of the operation: NUL, 10,000 characters, and JSON-ish junk for the typed ones.
    for parameter in operation.query_parameters:
        name = parameter["name"]
        add(
            f"NUL in ?{name}",
            lambda op, req, n=name: setattr(req, "query", f"{n}=a%00b"),
            400,
            "invalid",
            "control_characters_not_allowed",
            "invalid_choice",
        )
        add(
            f"10,000 characters in ?{name}",
            lambda op, req, n=name: setattr(req, "query", f"{n}={'1' * 10_000}"),
            400,
            "max_length",
            "max_string_length",
            "invalid",
            "invalid_choice",
        )
        add(
            f"empty ?{name}",
            lambda op, req, n=name: setattr(req, "query", f"{n}="),
            400,
            "blank",
            "invalid",
            "invalid_choice",
        )
        if (
            parameter["schema"].get("type") != "string"
            or "enum" in parameter["schema"]
            or "format" in parameter["schema"]
        ):
            for junk in ("null", "true", "[]", "{}"):
                add(
                    f"{junk} as ?{name}",
                    lambda op, req, n=name, j=junk: setattr(req, "query", f"{n}={j}"),
                    400,
                    "invalid",
                    "invalid_choice",
                )
    if operation.query_parameters:
        add(
            "an unknown query parameter named NUL", lambda op, req: setattr(req, "query", "%00=1"), 400, "unknown_field"
        )
    return cases


CASES = [(operation, case) for operation in OPERATIONS for case in _cases_for(operation)]


def test_every_published_operation_is_in_the_corpus():
    # The corpus is built from the served document: if this fails, the document lost operations.
    assert {operation.operation_id for operation in OPERATIONS} >= {
        "createIdentityDocumentIdentification",
        "listIdentityDocumentIdentifications",
        "closeIdentityDocumentIdentification",
        "getIdentityDocumentIdentification",
        "validateIdentityDocumentIdentification",
    }


def _writes():
    return (
        Identification.objects.count(),
        IdentificationEvent.objects.count(),
        ScoringAttempt.objects.count(),
        IdempotencyRecord.objects.count(),
        sorted(Identification.objects.values_list("id", "status", "attempts_used", "updated_at", "redacted_at")),
    )


@pytest.mark.parametrize(
    ("operation", "case"), CASES, ids=[f"{operation.operation_id}: {case.id}" for operation, case in CASES]
)
def test_hostile_input_is_a_4xx_errors_response_that_changes_nothing(client, organization, api_key, operation, case):
    pending = IdentificationFactory(organization=organization)
    request = baseline(operation, str(pending.id), api_key[1])
    case.spoil(operation, request)
    before = _writes()

    response = client.generic(
        request.method,
        request.path + (f"?{request.query}" if request.query else ""),
        data=request.body or b"",
        content_type=request.content_type,
        headers=request.headers,
    )

    assert response.status_code == case.status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    errors = response.json()["errors"]
    assert errors, "an ErrorsResponse names at least one problem"
    for error in errors:
        assert isinstance(error["code"], str) and error["code"]
        assert isinstance(error["message"], str) and error["message"]
    if case.codes:
        assert {error["code"] for error in errors} & case.codes, errors
    if case.field:
        fields = [error.get("field") or "" for error in errors]
        assert any(field == case.field or field.startswith(f"{case.field}.") for field in fields), errors
    assert _writes() == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=[operation.operation_id for operation in OPERATIONS])
def test_the_baseline_request_is_accepted(client, organization, api_key, operation, settings, tmp_path):
    """Without this, a case could pass because the request was refused for a reason other than its hostile part."""
    settings.MEDIA_ROOT = tmp_path
    pending = IdentificationFactory(organization=organization)
    _known_event_and_endpoint(organization)
    request = baseline(operation, str(pending.id), api_key[1])

    response = client.generic(
        request.method,
        request.path,
        data=request.body or b"",
        content_type=request.content_type,
        headers=request.headers,
    )

    assert 200 <= response.status_code < 300, response.content[:500]


def test_a_validate_body_over_djangos_in_memory_limit_but_under_the_endpoints_is_parsed(
    client, organization, api_key, settings, tmp_path
):
    # Django refuses request.body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB); validate takes up to ~7 MiB, so its
    # parser must read the stream itself. JSON whitespace pads a valid body past Django's limit.
    settings.MEDIA_ROOT = tmp_path
    pending = IdentificationFactory(organization=organization)
    [validate] = [operation for operation in OPERATIONS if operation.has_header("x-fingerprint")]
    request = baseline(validate, str(pending.id), api_key[1])
    body = request.body + b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    assert len(body) < settings.API_MAX_VALIDATE_BODY_BYTES

    response = client.generic("POST", request.path, data=body, content_type="application/json", headers=request.headers)

    assert response.status_code == 204, response.content[:500]
    assert ScoringAttempt.objects.count() == 1


PATHS = sorted(
    {operation.path: {o.method for o in OPERATIONS if o.path == operation.path} for operation in OPERATIONS}.items()
)
UNDOCUMENTED = [
    (path, method)
    for path, documented in PATHS
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
    if method not in documented
]


@pytest.mark.parametrize(("path", "method"), UNDOCUMENTED, ids=[f"{method} {path}" for path, method in UNDOCUMENTED])
def test_an_undocumented_method_is_405_errors_response_that_changes_nothing(
    client, organization, api_key, path, method
):
    # OPTIONS was a 500: DRF's metadata describes a serializer_class these viewsets don't have.
    pending = IdentificationFactory(organization=organization)
    url = path.format(org_id="acme", admin_identification_id=pending.id, identification_id=pending.id, **PREFIXED_IDS)
    before = _writes()

    response = client.generic(
        method, url, data=b"{}", content_type="application/json", headers={"Authorization": f"Bearer {api_key[1]}"}
    )

    assert response.status_code == 405, response.content[:500]
    assert response["Content-Type"] == "application/json"
    assert [error["code"] for error in response.json()["errors"]] == ["method_not_allowed"]
    assert _writes() == before


def _operation(operation_id: str) -> Operation:
    [operation] = [operation for operation in OPERATIONS if operation.operation_id == operation_id]
    return operation


TD3 = ["P<ESPGARCIA<MARQUEZ<<JOSE<MARIA<<<<<<<<<<<<<", "AAA1234560ESP8503127M3001019<<<<<<<<<<<<<<<0"]
# Inputs just outside what the OpenAPI document allows, which the API used to take: the document is the contract,
# and the schema fuzzer only meets such values by chance.
OUTSIDE_THE_DOCUMENT = [
    ("listIdentityDocumentIdentifications", "created_after=2026-11-25", None, "created_after"),
    ("listIdentityDocumentIdentifications", "created_after=2026-11-25T12:00:00", None, "created_after"),
    ("listIdentityDocumentIdentifications", "created_before=20261125T120000Z", None, "created_before"),
    ("createIdentityDocumentIdentification", "", ("identity_document", "document_type"), " NIF"),
    ("createIdentityDocumentIdentification", "", ("identity_document", "country"), "ES "),
    ("createIdentityDocumentIdentification", "", ("configuration_name",), "HIGH "),
    ("createIdentityDocumentIdentification", "", ("expires_in",), " P7D"),
    ("createIdentityDocumentIdentification", "", ("name",), "James" + " " * 150),
    ("validateIdentityDocumentIdentification", "", ("evidence_metadata", "mrz"), [" ", *TD3]),
    ("validateIdentityDocumentIdentification", "", ("evidence_metadata", "birth_date"), "1985-3-12"),
]


@pytest.mark.parametrize(
    ("operation_id", "query", "path", "value"),
    OUTSIDE_THE_DOCUMENT,
    ids=[f"{case[0]}: {case[1] or '.'.join(case[2])}={case[3]!r}" for case in OUTSIDE_THE_DOCUMENT],
)
def test_input_just_outside_the_document_is_a_400_naming_it(
    client, organization, api_key, operation_id, query, path, value
):
    operation = _operation(operation_id)
    pending = IdentificationFactory(organization=organization)
    request = baseline(operation, str(pending.id), api_key[1])
    body = with_field(operation, path, value) if path else request.body
    before = _writes()

    response = client.generic(
        request.method,
        request.path + (f"?{query}" if query else ""),
        data=body or b"",
        content_type="application/json",
        headers=request.headers,
    )

    assert response.status_code == 400, response.content[:500]
    named = query.split("=")[0] if query else ".".join(path)
    assert named in [error.get("field") for error in response.json()["errors"]], response.content
    assert _writes() == before
