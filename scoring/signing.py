"""HMAC-SHA256 signatures of the requests we send to an organization's EXTERNAL scoring service.

The header is ``X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``; the MAC covers ``f"{t}.".encode() + body``,
the exact bytes sent on the wire, so the receiver must verify the raw body before parsing it. The timestamp
bounds replays: ``verify`` rejects one outside its tolerance window.

``verify`` is for the receiving side. This module depends only on the standard library so organizations can
import or copy it as is. It accepts several ``v1`` entries (any one may match), which lets a sender overlap two
secrets while rotating them.
"""

import hashlib
import hmac
import re

SIGNATURE_HEADER = "X-Signature"

_SCHEME = "v1"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # digits only: no sign, no spaces, no "1e9"; 12 digits reach year 33658
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
_MAX_HEADER_LENGTH = 1024


def _mac(secret: bytes, body: bytes, timestamp: int) -> str:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(*, secret: bytes, body: bytes, timestamp: int) -> str:
    """The ``X-Signature`` header value for ``body`` sent at ``timestamp`` (unix seconds)."""
    if not isinstance(secret, bytes | bytearray) or not secret:
        raise ValueError("the signing secret must be non-empty bytes")
    if not isinstance(body, bytes | bytearray):
        raise TypeError("the body must be bytes")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError("the timestamp must be a non-negative integer (unix seconds)")
    return f"t={timestamp},{_SCHEME}={_mac(bytes(secret), bytes(body), timestamp)}"


def _parse(header: str) -> tuple[int, list[str]] | None:
    """(timestamp, v1 signatures), or None when the header is malformed."""
    if not isinstance(header, str) or not header or len(header) > _MAX_HEADER_LENGTH:
        return None
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, separator, value = item.strip().partition("=")
        if not separator:
            return None
        if key == "t":
            if timestamp is not None or not _TIMESTAMP.fullmatch(value):
                return None
            timestamp = int(value)
        elif key == _SCHEME:
            if not _HEX_SHA256.fullmatch(value):
                return None
            signatures.append(value)
        # Other schemes (a future v2) are ignored, so senders can add them without breaking receivers.
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures


def verify(*, secret: bytes, body: bytes, header: str, now: int, tolerance_seconds: int = 300) -> bool:
    """Whether ``header`` is a valid signature of ``body`` made within ``tolerance_seconds`` of ``now``.

    Never raises on attacker-controlled input (``header``, ``body``): anything malformed is simply False.
    An empty secret verifies nothing.
    """
    if not isinstance(secret, bytes | bytearray) or not secret or not isinstance(body, bytes | bytearray):
        return False
    parsed = _parse(header)
    if parsed is None:
        return False
    timestamp, signatures = parsed
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = _mac(bytes(secret), bytes(body), timestamp).encode()
    # Compare against every candidate (no early exit), each in constant time.
    matched = False
    for signature in signatures:
        matched |= hmac.compare_digest(expected, signature.encode())
    return matched
