import hashlib
import hmac

import pytest

from scoring.signing import SIGNATURE_HEADER, sign, verify

SECRET = b"whsec_test_secret"
BODY = b'{"amount":1,"name":"Jos\\u00e9"}'
T = 1_700_000_000
# Computed outside Python: printf '%s' '1700000000.{"amount":1,"name":"Jos\u00e9"}' | openssl dgst -sha256 -hmac ...
KNOWN_HEX = "0fabc3980aaf2be6a16aeec76c77d83962baedd37aecbd66c8856fb8c0206a93"


def test_header_name():
    assert SIGNATURE_HEADER == "X-Signature"


def test_known_vector():
    independent = hmac.new(SECRET, b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert independent == KNOWN_HEX
    assert sign(secret=SECRET, body=BODY, timestamp=T) == f"t=1700000000,v1={KNOWN_HEX}"


def test_verify_accepts_a_fresh_signature():
    header = sign(secret=SECRET, body=BODY, timestamp=T)
    assert verify(secret=SECRET, body=BODY, header=header, now=T) is True


def test_signature_depends_on_the_timestamp():
    assert (
        sign(secret=SECRET, body=BODY, timestamp=T).split(",")[1]
        != sign(secret=SECRET, body=BODY, timestamp=T + 1).split(",")[1]
    )


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(0, True), (300, True), (-300, True), (301, False), (-301, False), (10**9, False)],
)
def test_tolerance_window(offset, expected):
    header = sign(secret=SECRET, body=BODY, timestamp=T)
    # Positive offset: the signature is old; negative: it comes from a clock ahead of ours.
    assert verify(secret=SECRET, body=BODY, header=header, now=T + offset) is expected


def test_custom_tolerance():
    header = sign(secret=SECRET, body=BODY, timestamp=T)
    assert verify(secret=SECRET, body=BODY, header=header, now=T + 30, tolerance_seconds=30) is True
    assert verify(secret=SECRET, body=BODY, header=header, now=T + 31, tolerance_seconds=30) is False


@pytest.mark.parametrize(
    "body",
    [
        BODY + b" ",
        BODY.replace(b"1", b"2"),
        b"",
        # Re-serialised JSON with the same meaning is not the signed bytes.
        b'{"name":"Jos\\u00e9","amount":1}',
    ],
)
def test_tampered_body(body):
    header = sign(secret=SECRET, body=BODY, timestamp=T)
    assert verify(secret=SECRET, body=body, header=header, now=T) is False


def test_wrong_secret():
    header = sign(secret=SECRET, body=BODY, timestamp=T)
    assert verify(secret=b"another secret", body=BODY, header=header, now=T) is False


def test_timestamp_is_covered_by_the_mac():
    # Replaying an old signature under a fresh timestamp must fail.
    header = sign(secret=SECRET, body=BODY, timestamp=T)
    forged = header.replace(f"t={T}", f"t={T + 1000}")
    assert verify(secret=SECRET, body=BODY, header=forged, now=T + 1000) is False


def test_empty_secret_verifies_nothing():
    header = f"t={T},v1=" + hmac.new(b"", f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert verify(secret=b"", body=BODY, header=header, now=T) is False


V1 = f"v1={KNOWN_HEX}"


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        V1,  # no timestamp
        f"t={T}",  # no v1
        f"t={T},v0={KNOWN_HEX}",  # only an unknown scheme
        f"t={T},v1=",
        f"t={T},v1={KNOWN_HEX[:-1]}",
        f"t={T},v1={KNOWN_HEX}00",
        f"t={T},v1={'z' * 64}",
        f"t={T},v1={KNOWN_HEX.upper()}",
        f"t=abc,{V1}",
        f"t=-{T},{V1}",
        f"t=+{T},{V1}",
        f"t={T}.0,{V1}",
        f"t=,{V1}",
        f"t=1e9,{V1}",
        f"t={T},t={T},{V1}",
        f"t={T};{V1}",
        f"t={T},{V1},",
        f"t={T},{V1},junk",
        f"t={T},v1={'é' * 64}",
        f"t={T},{V1}" + ",x=" + "a" * 2000,
        f"t={'9' * 5000},{V1}",
    ],
)
def test_malformed_headers_are_rejected(header):
    assert verify(secret=SECRET, body=BODY, header=header, now=T) is False


@pytest.mark.parametrize("header", [None, b"t=1,v1=00", 12])
def test_non_string_header_is_rejected(header):
    assert verify(secret=SECRET, body=BODY, header=header, now=T) is False


def test_whitespace_around_items_and_other_schemes_are_tolerated():
    assert verify(secret=SECRET, body=BODY, header=f"t={T}, v0=whatever, {V1}", now=T) is True


def test_any_of_several_v1_may_match_for_secret_rotation():
    old = sign(secret=b"old secret", body=BODY, timestamp=T).split(",")[1]
    new = sign(secret=SECRET, body=BODY, timestamp=T).split(",")[1]
    header = f"t={T},{old},{new}"
    assert verify(secret=SECRET, body=BODY, header=header, now=T) is True
    assert verify(secret=b"old secret", body=BODY, header=header, now=T) is True
    assert verify(secret=b"third secret", body=BODY, header=header, now=T) is False


@pytest.mark.parametrize("secret", [b"", "text secret", None])
def test_sign_requires_a_non_empty_bytes_secret(secret):
    with pytest.raises(ValueError):
        sign(secret=secret, body=BODY, timestamp=T)


@pytest.mark.parametrize("timestamp", [-1, True, 1.5, "1700000000", None])
def test_sign_requires_a_non_negative_integer_timestamp(timestamp):
    with pytest.raises(ValueError):
        sign(secret=SECRET, body=BODY, timestamp=timestamp)


def test_sign_requires_bytes_body():
    with pytest.raises(TypeError):
        sign(secret=SECRET, body="text", timestamp=T)
