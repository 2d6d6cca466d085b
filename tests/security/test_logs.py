"""No document number, name, API key or client secret in the logs: the code avoids them, and a filter masks them."""

import io
import logging

import pytest

from identifications import services
from identifications.log_masking import MaskSecretsFilter, mask
from tests.api.helpers import close_url, create_url, post_json
from tests.api.validation_helpers import DECLARED, DEVICE, MATCHING_METADATA, image_base64, validate_url

KEY = "AbCd1234.kLmNoPqRsTuVwXyZ0123456789abcdef"
SECRET = "idsec_l8yaMIRwC8366fxb5-JWF5U5cCqYgqqD0yJ0ZJnKNVU"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("NIF 12345678Z here", "NIF [REDACTED] here"),
        ("nif 12345678-z, spaced 12345678 Z", "nif [REDACTED], spaced [REDACTED]"),
        ("NIE X1234567L and y-1234567-l", "NIE [REDACTED] and [REDACTED]"),
        (f"Bearer {KEY}", "Bearer AbCd1234.[REDACTED]"),
        (f"secret={SECRET}&x=1", "secret=idsec_[REDACTED]&x=1"),
    ],
)
def test_shapes_of_numbers_keys_and_secrets_are_masked(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "identification 5b0b5c1e-8a57-4c38-9a59-3b3e6f7b1b0e created by API_KEY AbCd1234",  # ids and key prefixes
        "identification 12345678-abcd-4c38-9a59-3b3e6f7b1b0e",  # a uuid whose first group is all digits
        "GET /v1/orgs/acme/identifications/identity_document?limit=10 took 12 ms",
        "2026-11-25T17:00:00Z request_id=5c18752652b5426fadc5465910d8452c",
    ],
)
def test_ordinary_log_lines_are_left_alone(text):
    assert mask(text) == text


def record(msg, *args, exc_info=None):
    return logging.LogRecord("test", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_arguments_of_any_type_and_tracebacks_are_masked():
    try:
        raise ValueError("no such person 12345678Z")
    except ValueError as error:
        entry = record(
            "lookup of %s for %r failed: %s",
            "X1234567L",
            {"key": KEY},
            error,
            exc_info=(type(error), error, error.__traceback__),
        )

    assert MaskSecretsFilter().filter(entry) is True
    assert (
        entry.getMessage()
        == "lookup of [REDACTED] for {'key': 'AbCd1234.[REDACTED]'} failed: no such person [REDACTED]"
    )
    assert "ValueError: no such person [REDACTED]" in entry.exc_text
    assert "12345678Z" not in entry.exc_text


def test_the_console_handler_carries_the_filter():
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, MaskSecretsFilter) for f in handler.filters)
    ]
    assert handlers, "config/settings.py LOGGING attaches the filter to the console handler"
    console = handlers[0]
    stream = io.StringIO()
    original = console.setStream(stream)
    try:
        logging.getLogger("identifications.test").error("holder %s sent %s with %s", "12345678Z", SECRET, KEY)
    finally:
        console.setStream(original)

    line = stream.getvalue()
    assert "holder [REDACTED] sent idsec_[REDACTED] with AbCd1234.[REDACTED]" in line
    assert "12345678Z" not in line and SECRET not in line and KEY not in line


def test_no_request_logs_personal_data_or_credentials(client, api_key, auth, caplog, monkeypatch, settings, tmp_path):
    """Create, close, validate, a failed authentication and a 500, at DEBUG: not one record quotes them."""
    settings.MEDIA_ROOT = tmp_path
    raw_key = api_key[1]
    caplog.set_level(logging.DEBUG)
    for name in ("django.request", "django.server", "identifications", "scoring", "axes"):
        caplog.set_level(logging.DEBUG, logger=name)

    created = post_json(client, create_url(), DECLARED, auth).json()
    closed = post_json(client, close_url(post_json(client, create_url(), DECLARED, auth).json()["id"]), {}, auth)
    validated = post_json(
        client,
        validate_url(created["id"]),
        {"evidence": image_base64(), "evidence_metadata": MATCHING_METADATA},
        {"Authorization": f"Bearer {created['client_secret']}", **DEVICE},
    )
    forged = post_json(client, create_url(), DECLARED, {"Authorization": f"Bearer {raw_key[:9]}{'x' * 32}"})
    wrong_secret = client.get(f"{create_url()}/{created['id']}", headers={"Authorization": f"Bearer {SECRET}"})

    def explode(**kwargs):
        raise RuntimeError(f"cannot store {kwargs['document_number']} for {kwargs['name']} {kwargs['last_name']}")

    monkeypatch.setattr(services, "identification_create", explode)
    failed = post_json(client, create_url(), DECLARED, auth)

    assert (closed.status_code, validated.status_code, forged.status_code, wrong_secret.status_code) == (
        204,
        204,
        401,
        401,
    )
    assert failed.status_code == 500
    assert any(r.levelno == logging.ERROR and r.name == "identifications.api" for r in caplog.records)
    logged = "\n".join(_everything_in(r) for r in caplog.records)
    forbidden = [
        "12345678Z",
        "José María",
        "García Márquez",
        "JOSE MARIA",
        "GARCIA MARQUEZ",
        raw_key,
        raw_key.split(".")[1],
        created["client_secret"],
        SECRET,
    ]
    assert [value for value in forbidden if value in logged] == []


def _everything_in(entry: logging.LogRecord) -> str:
    formatter = logging.Formatter()
    parts = [entry.getMessage(), entry.exc_text or "", entry.stack_info or ""]
    if entry.exc_info:
        parts.append(formatter.formatException(entry.exc_info))
    parts.extend(str(value) for value in vars(entry).values())
    return "\n".join(parts)
