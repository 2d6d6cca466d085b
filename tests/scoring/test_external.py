"""The EXTERNAL provider's client against a real HTTP server on 127.0.0.1 (no mocks of the network).

The fake provider verifies each request's signature with ``signing.verify`` (401 when it fails) and otherwise
answers with the test's scenario. Servers that "hang" wait on an event the fixture sets at teardown, so no
test sleeps and no thread outlives its test.
"""

import datetime
import gzip
import json
import threading
import time

import pytest
import requests

from scoring import signing
from scoring.checks import CheckResult, Outcome
from scoring.external import (
    MAX_RESPONSE_BYTES,
    USER_AGENT,
    ScoringProviderUnavailable,
    score_externally,
)
from tests.fake_scoring_provider import SECRET, closed_port_url, echo, reply, running_provider, send

# Personal data: none of these values may appear in an exception message.
PAYLOAD = {
    "identification_id": "5b0b5c1e-8a57-4c38-9a59-3b3e6f7b1b0e",
    "declared": {"name": "Anneliese", "last_name": "Zwanenburg", "document_number": "48151623Q"},
    "evidence": {"birth_date": "1979-03-14", "mrz": ["P<NLDZWANENBURG<<ANNELIESE<<<<<<<<<<<<<<<<<<"]},
}
PERSONAL_VALUES = ("Anneliese", "Zwanenburg", "48151623Q", "1979-03-14", "ZWANENBURG", "5b0b5c1e")
SHORT_TIMEOUT = 0.2

VALID_REPLY = {
    "score": 85,
    "checks": [
        {"name": "liveness", "passed": True, "weight": 60, "reason": "the selfie matches the document photo"},
        {"name": "sanctions", "passed": False, "weight": 40, "reason": "a possible match needs review"},
    ],
}
EXPECTED = Outcome(
    score=85,
    checks=[
        CheckResult(name="liveness", passed=True, weight=60, reason="the selfie matches the document photo"),
        CheckResult(name="sanctions", passed=False, weight=40, reason="a possible match needs review"),
    ],
)


@pytest.fixture
def provider():
    with running_provider() as fake:
        yield fake


def call(url: str, **kwargs) -> Outcome:
    kwargs = {"secret": SECRET, "payload": PAYLOAD, "timeout": SHORT_TIMEOUT * 5, **kwargs}
    return score_externally(url=url, **kwargs)


def unavailable(url: str, **kwargs) -> ScoringProviderUnavailable:
    with pytest.raises(ScoringProviderUnavailable) as caught:
        call(url, **kwargs)
    assert_safe(caught.value)
    return caught.value


def assert_safe(error: BaseException) -> None:
    text = str(error) + repr(error)
    for value in PERSONAL_VALUES:
        assert value not in text
    # Nothing chained that a logger would print with the traceback.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def padded(size: int) -> bytes:
    """A valid reply of exactly ``size`` bytes."""
    prefix, suffix = b'{"score":80,"checks":[],"pad":"', b'"}'
    return prefix + b"x" * (size - len(prefix) - len(suffix)) + suffix


# --- success --------------------------------------------------------------------------------------------------


def test_valid_signed_reply(provider):
    provider.answer(reply(200, VALID_REPLY))
    assert call(provider.url) == EXPECTED
    assert len(provider.received) == 1


def test_server_receives_exactly_the_signed_bytes(provider):
    provider.answer(reply(200, VALID_REPLY))
    now = int(time.time())
    call(provider.url, now=now)
    [request] = provider.received
    expected_body = json.dumps(PAYLOAD, separators=(",", ":"), sort_keys=True).encode()
    assert request.body == expected_body
    assert request.signature_valid
    assert request.headers[signing.SIGNATURE_HEADER] == signing.sign(secret=SECRET, body=expected_body, timestamp=now)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.path == "/score"


def test_non_ascii_payload_is_sent_as_ascii_json(provider):
    provider.answer(reply(200, VALID_REPLY))
    call(provider.url, payload={"name": "José Müller", "b": 1, "a": [1, 2]})
    [request] = provider.received
    assert request.body == b'{"a":[1,2],"b":1,"name":"Jos\\u00e9 M\\u00fcller"}'
    assert request.signature_valid


@pytest.mark.parametrize(
    "body",
    [
        {"score": 0, "checks": []},
        {"score": 100, "checks": [], "provider_version": "3.1", "extra": {"nested": [1]}},
        {
            "score": 50,
            "checks": [
                {"name": "n" * 64, "passed": True, "weight": 100, "reason": "r" * 500, "detail": "ignored"},
                {"name": "zero", "passed": False, "weight": 0, "reason": ""},
            ],
        },
        {"score": 1, "checks": [{"name": f"c{i}", "passed": True, "weight": 1, "reason": ""} for i in range(50)]},
    ],
    ids=["bounds-low", "unknown-keys", "field-limits", "fifty-checks"],
)
def test_edge_replies_validate(provider, body):
    provider.answer(reply(200, body))
    result = call(provider.url)
    assert result.score == body["score"]
    assert [check.name for check in result.checks] == [check["name"] for check in body["checks"]]


def test_any_2xx_is_accepted(provider):
    provider.answer(reply(201, VALID_REPLY))
    assert call(provider.url) == EXPECTED


def test_body_of_exactly_the_cap_is_accepted(provider):
    provider.answer(reply(200, padded(MAX_RESPONSE_BYTES)))
    assert call(provider.url) == Outcome(score=80, checks=[])


def test_caller_session_is_used_and_left_open(provider):
    provider.answer(reply(200, VALID_REPLY))
    with requests.Session() as session:
        assert call(provider.url, session=session) == EXPECTED
        assert call(provider.url, session=session) == EXPECTED
    assert len(provider.received) == 2


class RecordingSession(requests.Session):
    def __init__(self):
        super().__init__()
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append(kwargs)
        return super().request(method, url, **kwargs)


def test_timeout_and_redirect_options(provider):
    provider.answer(reply(200, VALID_REPLY))
    session = RecordingSession()
    call(provider.url, session=session, timeout=1.5)
    [kwargs] = session.calls
    assert kwargs["timeout"] == (1.5, 1.5)
    assert kwargs["allow_redirects"] is False


def test_timeout_defaults_to_the_setting(provider, settings):
    provider.answer(reply(200, VALID_REPLY))
    settings.EXTERNAL_SCORING_TIMEOUT_SECONDS = 2
    session = RecordingSession()
    score_externally(url=provider.url, secret=SECRET, payload=PAYLOAD, session=session)
    assert session.calls[0]["timeout"] == (2.0, 2.0)


def test_timeout_defaults_to_five_seconds_without_the_setting(provider, settings):
    provider.answer(reply(200, VALID_REPLY))
    if hasattr(settings, "EXTERNAL_SCORING_TIMEOUT_SECONDS"):
        del settings.EXTERNAL_SCORING_TIMEOUT_SECONDS
    session = RecordingSession()
    score_externally(url=provider.url, secret=SECRET, payload=PAYLOAD, session=session)
    assert session.calls[0]["timeout"] == (5.0, 5.0)


# --- the provider is unavailable -------------------------------------------------------------------------------


def test_wrong_secret_on_the_server_is_401(provider):
    provider.secret = b"a different secret"
    provider.answer(reply(200, VALID_REPLY))
    error = unavailable(provider.url)
    assert "401" in str(error)
    assert provider.received[0].signature_valid is False


def test_stale_timestamp_is_rejected_by_the_server(provider):
    provider.answer(reply(200, VALID_REPLY))
    error = unavailable(provider.url, now=int(time.time()) - 3600)
    assert "401" in str(error)


@pytest.mark.parametrize("status", [500, 503, 404, 400, 429, 304, 418])
def test_error_status(provider, status):
    provider.answer(echo(status))
    error = unavailable(provider.url)
    assert str(status) in str(error)


def test_redirect_is_not_followed(provider):
    provider.answer(reply(302, VALID_REPLY, {"Location": provider.url + "/elsewhere"}))
    error = unavailable(provider.url)
    assert "302" in str(error)
    assert len(provider.received) == 1


def test_slow_server_times_out(provider):
    answered = threading.Event()

    def hang(handler, _body):
        provider.release.wait(timeout=10)
        send(handler, 200, json.dumps(VALID_REPLY).encode())
        answered.set()

    provider.answer(hang)
    error = unavailable(provider.url, timeout=SHORT_TIMEOUT)
    # The client gave up while the provider was still hanging (a condition, not a measured time: load-proof).
    assert not answered.is_set()
    assert "ReadTimeout" in str(error)


def test_slow_server_times_out_with_the_setting(provider, settings):
    settings.EXTERNAL_SCORING_TIMEOUT_SECONDS = SHORT_TIMEOUT
    provider.answer(lambda handler, _body: provider.release.wait(timeout=10))
    with pytest.raises(ScoringProviderUnavailable) as caught:
        score_externally(url=provider.url, secret=SECRET, payload=PAYLOAD)
    assert_safe(caught.value)


def test_dripping_body_is_bounded_by_a_deadline(provider):
    body = padded(200)

    def drip(handler, _body):
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for byte in body:
            # Each byte comes well within the read timeout; the whole body would take 10 s.
            if provider.release.wait(timeout=0.05):
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
        dripped_everything.set()

    dripped_everything = threading.Event()
    provider.answer(drip)
    error = unavailable(provider.url, timeout=SHORT_TIMEOUT)
    # The client gave up before the provider finished dripping (a condition, not a measured time: load-proof).
    assert not dripped_everything.is_set()
    assert "longer than the timeout" in str(error)


def test_connection_refused():
    error = unavailable(closed_port_url())
    assert "ConnectionError" in str(error)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/score", "not a url", "http://"])
def test_unusable_url(url):
    unavailable(url)


def test_oversized_body_with_content_length(provider):
    provider.answer(reply(200, padded(MAX_RESPONSE_BYTES + 1)))
    error = unavailable(provider.url)
    assert "larger than" in str(error)


def test_oversized_chunked_body(provider):
    def chunked(handler, _body):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        data = padded(4 * MAX_RESPONSE_BYTES)
        for start in range(0, len(data), 4096):
            piece = data[start : start + 4096]
            handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()

    provider.answer(chunked)
    error = unavailable(provider.url)
    assert "larger than" in str(error)


def test_compressed_body_is_capped_after_decompression(provider):
    bomb = gzip.compress(padded(10 * 1024 * 1024))
    assert len(bomb) < MAX_RESPONSE_BYTES
    provider.answer(reply(200, bomb, {"Content-Encoding": "gzip"}))
    error = unavailable(provider.url)
    assert "larger than" in str(error)


def test_lying_content_length_is_unavailable(provider):
    def short(handler, _body):
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        handler.wfile.write(json.dumps(VALID_REPLY).encode())
        handler.wfile.flush()

    provider.answer(short)
    unavailable(provider.url)


CHECK = {"name": "liveness", "passed": True, "weight": 60, "reason": "ok"}


def with_check(**changes) -> dict:
    check = {key: value for key, value in {**CHECK, **changes}.items() if value is not ...}
    return {"score": 80, "checks": [check]}


NOT_JSON = "is not JSON"
NOT_OBJECT = "is not a JSON object"
SCORE = "score is not an integer from 0 to 100"
NAME = "checks[0].name is not"
WEIGHT = "checks[0].weight is not"
REASON = "checks[0].reason is not"
PASSED = "checks[0].passed is not a boolean"

# id: (reply body, what the message must say)
INVALID_REPLIES = {
    "non-json": (b"<html>Internal error</html>", NOT_JSON),
    "empty": (b"", NOT_JSON),
    "truncated-json": (b'{"score": 80, "checks": [', NOT_JSON),
    "bad-utf8": (b'{"score": 80, "checks": [], "x": "\xff"}', NOT_JSON),
    "nan-score": (b'{"score": NaN, "checks": []}', NOT_JSON),
    "huge-int": (b'{"score": ' + b"9" * 5000 + b', "checks": []}', NOT_JSON),
    "deep-nesting": (b'{"score": 80, "checks": [], "x": ' + b"[" * 30000 + b"]" * 30000 + b"}", NOT_JSON),
    "array": ([VALID_REPLY], NOT_OBJECT),
    "string": ("80", NOT_OBJECT),
    "null": (None, NOT_OBJECT),
    "score-101": ({"score": 101, "checks": []}, SCORE),
    "score-negative": ({"score": -1, "checks": []}, SCORE),
    "score-string": ({"score": "80", "checks": []}, SCORE),
    "score-true": ({"score": True, "checks": []}, SCORE),
    "score-float": ({"score": 80.0, "checks": []}, SCORE),
    "score-null": ({"score": None, "checks": []}, SCORE),
    "score-missing": ({"checks": []}, 'no "score"'),
    "checks-object": ({"score": 80, "checks": {"liveness": CHECK}}, "checks is not a list"),
    "checks-string": ({"score": 80, "checks": "liveness"}, "checks is not a list"),
    "checks-missing": ({"score": 80}, 'no "checks"'),
    "checks-51": ({"score": 80, "checks": [{**CHECK, "name": f"c{i}"} for i in range(51)]}, "more than 50"),
    "check-not-object": ({"score": 80, "checks": ["liveness"]}, "checks[0] is not an object"),
    "check-duplicate-name": ({"score": 80, "checks": [CHECK, CHECK]}, "same name"),
    "passed-missing": (with_check(passed=...), 'checks[0] has no "passed"'),
    "passed-string": (with_check(passed="true"), PASSED),
    "passed-int": (with_check(passed=1), PASSED),
    "name-missing": (with_check(name=...), 'checks[0] has no "name"'),
    "name-empty": (with_check(name=""), NAME),
    "name-blank": (with_check(name="   "), NAME),
    "name-65": (with_check(name="n" * 65), NAME),
    "name-int": (with_check(name=7), NAME),
    "name-newline": (with_check(name="live\nness"), NAME),
    "weight-missing": (with_check(weight=...), 'checks[0] has no "weight"'),
    "weight-101": (with_check(weight=101), WEIGHT),
    "weight-negative": (with_check(weight=-1), WEIGHT),
    "weight-string": (with_check(weight="60"), WEIGHT),
    "weight-true": (with_check(weight=True), WEIGHT),
    "weight-float": (with_check(weight=60.0), WEIGHT),
    "reason-missing": (with_check(reason=...), 'checks[0] has no "reason"'),
    "reason-null": (with_check(reason=None), REASON),
    "reason-501": (with_check(reason="r" * 501), REASON),
    "reason-control": (with_check(reason="ok\r\nFAKE LOG LINE"), REASON),
    "reason-surrogate": (
        b'{"score": 80, "checks": [{"name": "a", "passed": true, "weight": 1, "reason": "\\ud800"}]}',
        "checks[0].reason is not",
    ),
}


@pytest.mark.parametrize(("body", "message"), INVALID_REPLIES.values(), ids=INVALID_REPLIES.keys())
def test_invalid_reply(provider, body, message):
    provider.answer(reply(200, body))
    error = unavailable(provider.url)
    assert message in str(error)
    assert "invalid reply" in str(error)


def test_no_content_is_unavailable(provider):
    def no_content(handler, _body):
        handler.send_response(204)
        handler.end_headers()

    provider.answer(no_content)
    unavailable(provider.url)


# --- personal data never reaches the message -------------------------------------------------------------------


def echoing_invalid_reply(handler, request_body):
    # A 200 whose invalid fields quote the person: the message must name the rule, never the value.
    payload = json.loads(request_body)
    number = payload["declared"]["document_number"]
    name = payload["declared"]["name"]
    body = {"score": number, "checks": [{"name": name, "passed": "yes", "weight": 1, "reason": number}]}
    send(handler, 200, json.dumps(body).encode())


def echoing_invalid_check(handler, request_body):
    payload = json.loads(request_body)
    reason = f"{payload['declared']['name']} {payload['declared']['last_name']}\n" * 100
    body = {
        "score": 80,
        "checks": [{"name": payload["declared"]["document_number"], "passed": True, "weight": 1, "reason": reason}],
    }
    send(handler, 200, json.dumps(body).encode())


@pytest.mark.parametrize(
    "scenario",
    [
        echo(500),
        echo(400),
        lambda handler, request_body: send(handler, 200, b"not json: " + request_body),
        lambda handler, request_body: send(handler, 200, request_body),  # JSON, but the wrong shape
        echoing_invalid_reply,
        echoing_invalid_check,
    ],
    ids=["500-echo", "400-echo", "non-json-echo", "payload-as-reply", "invalid-score", "invalid-reason"],
)
def test_messages_never_contain_the_payload(provider, scenario):
    provider.answer(scenario)
    error = unavailable(provider.url)  # unavailable() asserts the message is free of PERSONAL_VALUES
    assert "you sent" not in str(error)


def test_transport_error_message_names_the_class_not_the_url():
    url = closed_port_url().replace("/score", "/score?token=s3cr3t-in-url")
    error = unavailable(url)
    assert "s3cr3t-in-url" not in str(error)
    assert "127.0.0.1" not in str(error)


# --- the caller's own mistakes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), True, "5"])
def test_bad_timeout_is_a_value_error(timeout):
    with pytest.raises(ValueError):
        score_externally(url="http://127.0.0.1:9/", secret=SECRET, payload=PAYLOAD, timeout=timeout)


def test_empty_secret_is_a_value_error():
    with pytest.raises(ValueError):
        score_externally(url="http://127.0.0.1:9/", secret=b"", payload=PAYLOAD)


def test_unserialisable_payload_is_a_type_error():
    with pytest.raises(TypeError):
        score_externally(url="http://127.0.0.1:9/", secret=SECRET, payload={"when": datetime.date(2020, 1, 1)})
