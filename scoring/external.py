"""The EXTERNAL scoring provider: one signed POST to an organization's own scoring service.

The payload and the reply carry personal data, so neither ever reaches an exception message: failures say
what went wrong (status code, exception class, which rule the reply broke) and nothing the person gave us.
Every failure is a ``ScoringProviderUnavailable``; the caller decides what an unavailable provider means.

Request: ``POST <url>`` with the payload as compact, key-sorted JSON, signed with ``scoring.signing``.
Expected reply (2xx, at most 64 KiB, unknown keys ignored)::

    {"score": 0..100, "checks": [{"name": "...", "passed": true, "weight": 0..100, "reason": "..."}, ...]}
"""

import json
import time
import unicodedata
from typing import Any

import requests
from django.conf import settings

from identifications import outbound
from scoring import signing
from scoring.checks import CheckResult, Outcome

USER_AGENT = "identity-document-identification/1.0"
MAX_RESPONSE_BYTES = 64 * 1024
MAX_CHECKS = 50
MAX_NAME_LENGTH = 64
MAX_REASON_LENGTH = 500
DEFAULT_TIMEOUT_SECONDS = 5


class ScoringProviderUnavailable(Exception):
    """The external scoring service could not give a usable score. The message is safe to log."""


class _InvalidReply(Exception):
    pass


def _timeout_seconds(timeout: float | None) -> float:
    if timeout is None:
        timeout = getattr(settings, "EXTERNAL_SCORING_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout < float("inf"):
        raise ValueError("the external scoring timeout must be a positive number of seconds")
    return float(timeout)


def _encode(payload: dict) -> bytes:
    # allow_nan=False: NaN and Infinity are not JSON, and the receiver's parser may reject them.
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=True, allow_nan=False).encode(
        "ascii"
    )


def _reject_constant(name: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


def _parse(body: bytes) -> Any:
    try:
        return json.loads(body, parse_constant=_reject_constant)
    # ValueError covers JSONDecodeError, bad UTF-8 and integers too long to convert; RecursionError deep nesting.
    except (ValueError, RecursionError):
        raise _InvalidReply("the reply is not JSON") from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_clean_text(value: str) -> bool:
    # Names and reasons reach API responses, logs and the database: no control characters (log forging) and no
    # lone surrogates (JSON allows "\ud800"; UTF-8 and PostgreSQL do not).
    return not any(unicodedata.category(character) in ("Cc", "Cs") for character in value)


def _check(index: int, item: Any) -> CheckResult:
    where = f"checks[{index}]"
    if not isinstance(item, dict):
        raise _InvalidReply(f"{where} is not an object")
    for key in ("name", "passed", "weight", "reason"):
        if key not in item:
            raise _InvalidReply(f'{where} has no "{key}"')
    name, passed, weight, reason = item["name"], item["passed"], item["weight"], item["reason"]
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH or not _is_clean_text(name):
        raise _InvalidReply(
            f"{where}.name is not a non-empty string of at most {MAX_NAME_LENGTH} characters without control characters"
        )
    if not isinstance(passed, bool):
        raise _InvalidReply(f"{where}.passed is not a boolean")
    if not _is_int(weight) or not 0 <= weight <= 100:
        raise _InvalidReply(f"{where}.weight is not an integer from 0 to 100")
    if not isinstance(reason, str) or len(reason) > MAX_REASON_LENGTH or not _is_clean_text(reason):
        raise _InvalidReply(
            f"{where}.reason is not a string of at most {MAX_REASON_LENGTH} characters without control characters"
        )
    return CheckResult(name=name, passed=passed, weight=weight, reason=reason)


def _validate(reply: Any) -> Outcome:
    """Strict: no coercion ("80" is not 80, true is not 1, 80.0 is not 80)."""
    if not isinstance(reply, dict):
        raise _InvalidReply("the reply is not a JSON object")
    if "score" not in reply:
        raise _InvalidReply('the reply has no "score"')
    score = reply["score"]
    if not _is_int(score) or not 0 <= score <= 100:
        raise _InvalidReply("score is not an integer from 0 to 100")
    if "checks" not in reply:
        raise _InvalidReply('the reply has no "checks"')
    items = reply["checks"]
    if not isinstance(items, list):
        raise _InvalidReply("checks is not a list")
    if len(items) > MAX_CHECKS:
        raise _InvalidReply(f"checks has more than {MAX_CHECKS} entries")
    checks = [_check(index, item) for index, item in enumerate(items)]
    # Callers look checks up by name (required checks), so a duplicated name would be ambiguous.
    if len({check.name for check in checks}) != len(checks):
        raise _InvalidReply("checks has two entries with the same name")
    return Outcome(score=score, checks=checks)


def score_externally(
    *,
    url: str,
    secret: bytes,
    payload: dict,
    timeout: float | None = None,
    now: int | None = None,
    session: requests.Session | None = None,
) -> Outcome:
    """POST ``payload`` to ``url``, signed with ``secret``, and validate the reply.

    ``timeout`` (seconds) is both the connect and the read timeout, defaulting to the
    ``EXTERNAL_SCORING_TIMEOUT_SECONDS`` setting (5); the whole exchange is also bounded by connect + read time.
    Only https URLs to public addresses are called unless ``WEBHOOKS_ALLOW_PRIVATE_URLS`` (identifications.outbound).
    ``now`` is the signature's unix timestamp (default: the current time). A ``session`` given by the caller
    (connection reuse) is left open, with the peer-checking adapter mounted; otherwise one is made and closed here.

    Raises ScoringProviderUnavailable on any transport error, a non-2xx status (redirects are not followed),
    a body over 64 KiB, non-JSON or a reply that does not validate. Raises ValueError/TypeError for the
    caller's own mistakes (bad timeout, empty secret, a payload that is not JSON-serialisable).
    """
    seconds = _timeout_seconds(timeout)
    body = _encode(payload)
    timestamp = int(time.time()) if now is None else now
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
        signing.SIGNATURE_HEADER: signing.sign(secret=secret, body=body, timestamp=timestamp),
    }
    try:
        # One total deadline of connect + read time for the whole exchange (identifications.outbound), so a
        # provider drip-feeding its headers or body cannot hold the worker past it; one byte over the cap is read
        # to tell "exactly the cap" from "larger".
        response = outbound.post(
            url,
            body=body,
            headers=headers,
            deadline=2 * seconds,
            timeout=seconds,
            max_body=MAX_RESPONSE_BYTES + 1,
            session=session,
        )
    except outbound.OutboundFailure as failure:
        raise ScoringProviderUnavailable(f"external scoring service unreachable: {_describe(failure)}") from None
    if not 200 <= response.status < 300:
        raise ScoringProviderUnavailable(f"external scoring service answered HTTP {response.status}")
    if len(response.body) > MAX_RESPONSE_BYTES:
        raise ScoringProviderUnavailable(
            f"external scoring service sent an unusable reply: the reply is larger than {MAX_RESPONSE_BYTES} bytes"
        )
    try:
        return _validate(_parse(response.body))
    except _InvalidReply as error:
        raise ScoringProviderUnavailable(f"external scoring service sent an invalid reply: {error}") from None


def _describe(failure: outbound.OutboundFailure) -> str:
    # The reason and the exception class only: transport messages quote the URL, which may carry credentials.
    if failure.reason == "timeout":
        text = "the exchange took longer than the timeout"
    elif failure.reason in ("https_required", "private_address"):
        text = f"the scoring URL is refused ({failure.reason}): it must be https and reach a public address"
    else:
        text = failure.reason
    return f"{text} ({failure.detail})" if failure.detail else text
