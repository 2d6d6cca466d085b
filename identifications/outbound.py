"""Outbound HTTP to URLs an organization chose (webhook endpoints, EXTERNAL scoring).

STAND-IN written on branch `webhooks` with the interface agreed with branch `admin-outbound`, which owns this module:
when that branch's version lands, it replaces this file whole. This stand-in checks addresses at save time only (not
again at connect time) and bounds one exchange by a total deadline.
"""

import ipaddress
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.structures import CaseInsensitiveDict

MAX_URL_LENGTH = 2000


class OutboundURLRefused(ValueError):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class OutboundFailure(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed: float


def check_url(url: str) -> None:
    if len(url) > MAX_URL_LENGTH:
        raise OutboundURLRefused(f"Must be at most {MAX_URL_LENGTH} characters.", "too_long")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
    except ValueError:
        raise OutboundURLRefused("Must be a valid URL.", "invalid_url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundURLRefused("Must be a valid URL.", "invalid_url")
    if parts.username is not None or parts.password is not None:
        raise OutboundURLRefused("Must not carry credentials (user:password@).", "credentials_in_url")
    if settings.WEBHOOKS_ALLOW_PRIVATE_URLS:
        return
    if parts.scheme != "https":
        raise OutboundURLRefused("Must use https.", "https_required")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (OSError, UnicodeError):
        raise OutboundURLRefused("The host does not resolve.", "invalid_url") from None
    if any(not ipaddress.ip_address(address.split("%")[0]).is_global for address in addresses):
        raise OutboundURLRefused("Must not point to a private, loopback or link-local address.", "private_address")


def post(
    url: str, *, body: bytes, headers: Mapping[str, str], deadline: float, max_body: int = 65536
) -> OutboundResponse:
    started = time.monotonic()
    try:
        with requests.post(
            url, data=body, headers=dict(headers), timeout=(deadline, deadline), allow_redirects=False, stream=True
        ) as response:
            received = b""
            for chunk in response.iter_content(chunk_size=1024):
                if len(received) < max_body:
                    received += chunk[: max_body - len(received)]
                if time.monotonic() - started > deadline:
                    raise OutboundFailure("timeout")
                if len(received) >= max_body:
                    break
            return OutboundResponse(
                status=response.status_code,
                headers=CaseInsensitiveDict(response.headers),
                body=received,
                elapsed=time.monotonic() - started,
            )
    except requests.Timeout:
        raise OutboundFailure("timeout") from None
    except requests.exceptions.SSLError:
        raise OutboundFailure("tls_error") from None
    except requests.ConnectionError:
        raise OutboundFailure("connection_refused") from None
    except requests.RequestException:
        raise OutboundFailure("request_failed") from None
