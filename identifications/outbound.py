"""Outbound HTTP to URLs that staff or organizations chose (EXTERNAL scoring, webhooks).

Such a URL is chosen by someone outside the service, so the request must not become a way into the service's own
network (loopback, private ranges, link-local cloud metadata) nor a way to hold a web worker:

- ``check_url`` runs when a URL is saved: https only, no credentials in the URL, at most 2000 characters, and a
  host that resolves only to public addresses.
- ``post`` checks the address it actually connected to (``getpeername``) before sending a byte, so a name that
  resolved to a public address at save time and to 127.0.0.1 now (DNS rebinding) is still refused; it never
  follows redirects (a 3xx is returned as is); and one total deadline covers connect, headers and body: a
  watchdog timer shuts the socket down when it passes, because per-read timeouts alone let a server drip one
  byte per almost-timeout for ever.

``settings.WEBHOOKS_ALLOW_PRIVATE_URLS`` lifts the https and public-address rules (development and tests with
local receivers).

Built on requests (already the project's HTTP client) with a transport adapter whose connections check the
peer; environment proxies are ignored, since a proxy would hide the real destination from that check.
"""

import contextlib
import contextvars
import http.client
import ipaddress
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3.exceptions
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

MAX_URL_LENGTH = 2000
_CHUNK_BYTES = 8192


class OutboundURLRefused(ValueError):
    """A URL that may not be called. ``code`` names the rule; the message is for staff."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class OutboundFailure(Exception):
    """The exchange failed. ``reason`` is short and safe to store or show (never the URL or the body);
    ``detail`` names the underlying exception class, for logs."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason} ({detail})" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes  # at most the caller's max_body bytes
    elapsed: float  # seconds


def private_urls_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_URLS", False))


def is_public_address(address: str) -> bool:
    """True for addresses on the public internet; False for loopback, private, link-local (cloud metadata),
    shared (CGNAT), reserved, multicast and unspecified ones, including IPv4 written inside IPv6."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and (ip.ipv4_mapped or ip.sixtofour):
        ip = ip.ipv4_mapped or ip.sixtofour
    return ip.is_global and not ip.is_multicast


def _check_shape(url: str) -> tuple[str, str]:
    """The scheme and host of ``url``, or OutboundURLRefused for the rules that need no DNS."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise OutboundURLRefused("too_long", f"The URL must be at most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise OutboundURLRefused("invalid_url", "The URL is not valid.") from None
    scheme = parts.scheme.lower()
    allowed = {"https", "http"} if private_urls_allowed() else {"https"}
    if scheme not in allowed:
        raise OutboundURLRefused("https_required", "The URL must start with https://.")
    if not hostname or any(character.isspace() or ord(character) < 32 for character in url):
        raise OutboundURLRefused("invalid_url", "The URL is not valid.")
    if parts.username is not None or parts.password is not None:
        raise OutboundURLRefused("credentials_in_url", "The URL must not contain a user name or password.")
    return scheme, hostname


def check_url(url: str) -> None:
    """Refuse (OutboundURLRefused) a URL that ``post`` would refuse, when it is saved."""
    _scheme, hostname = _check_shape(url)
    if private_urls_allowed():
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(hostname, None, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        raise OutboundURLRefused("unresolvable_host", "The URL's host name does not resolve.") from None
    if not addresses or not all(is_public_address(address) for address in addresses):
        raise OutboundURLRefused(
            "private_address", "The URL's host must resolve only to public internet addresses, not private ones."
        )


class _PrivateAddress(Exception):
    # Not an OSError: urllib3 would retry or wrap it, and this refusal is final.
    pass


class _Watchdog:
    """Shuts down the socket of the exchange under way when the deadline passes."""

    def __init__(self, seconds: float):
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut_down(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut_down(sock)


def _shut_down(sock: socket.socket) -> None:
    # socket.socket.shutdown, not SSLSocket.shutdown: the latter drops the TLS state under the reading thread.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_current_watchdog: contextvars.ContextVar[_Watchdog | None] = contextvars.ContextVar("outbound_watchdog", default=None)


class _PeerCheckingMixin:
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        if not private_urls_allowed():
            peer = sock.getpeername()[0]
            if not is_public_address(peer):
                sock.close()
                raise _PrivateAddress()
        return sock

    def getresponse(self, *args, **kwargs):
        # Reused keep-alive connections never pass through _new_conn, so the watchdog learns the socket here,
        # before the (possibly drip-fed) status line and headers are read.
        watchdog = _current_watchdog.get()
        if watchdog is not None:
            watchdog.watch(self.sock)
        return super().getresponse(*args, **kwargs)


class _PeerCheckingHTTPConnection(_PeerCheckingMixin, HTTPConnection):
    pass


class _PeerCheckingHTTPSConnection(_PeerCheckingMixin, HTTPSConnection):
    pass


class _PeerCheckingHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _PeerCheckingHTTPConnection


class _PeerCheckingHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _PeerCheckingHTTPSConnection


class PeerCheckingAdapter(requests.adapters.HTTPAdapter):
    """A requests adapter whose connections refuse non-public peers (unless allowed by the setting)."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PeerCheckingHTTPConnectionPool,
            "https": _PeerCheckingHTTPSConnectionPool,
        }


def _guarded(session: requests.Session) -> requests.Session:
    for prefix in ("http://", "https://"):
        if not isinstance(session.get_adapter(prefix), PeerCheckingAdapter):
            session.mount(prefix, PeerCheckingAdapter(max_retries=0))
    return session


def _failure_reason(error: BaseException) -> str:
    if isinstance(error, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError):
        return "timeout"
    if isinstance(error, requests.exceptions.SSLError | urllib3.exceptions.SSLError):
        return "tls_error"
    if isinstance(error, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return "invalid_url"
    if isinstance(error, requests.ConnectionError):
        cause = error.args[0] if error.args else None
        reason = getattr(cause, "reason", None)
        if isinstance(reason, urllib3.exceptions.NewConnectionError) and isinstance(
            reason.__context__, ConnectionRefusedError
        ):
            return "connection_refused"
        return "connection_error"
    if isinstance(error, urllib3.exceptions.ProtocolError | http.client.HTTPException):
        return "protocol_error"
    return "transport_error"


# What the network layer may raise: requests wraps most of urllib3's errors, but not those raised while the raw
# stream is read.
_TRANSPORT_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)


def _read_body(raw: urllib3.BaseHTTPResponse, max_body: int) -> bytes:
    read = getattr(raw, "read1", None) or raw.read
    body = bytearray()
    while len(body) < max_body:
        chunk = read(min(_CHUNK_BYTES, max_body - len(body)), decode_content=True)
        if not chunk:
            break
        body += chunk
    return bytes(body[:max_body])


def session() -> requests.Session:
    """A session for several ``post`` calls over kept-alive connections: each connection it opens is peer-checked
    when opened, and none goes through an environment proxy. A connection goes back to its pool only when its
    reply's body was read to the end (urllib3 releases it then); a reply cut at ``max_body`` closes it. Close the
    session when done."""
    client = requests.Session()
    client.trust_env = False
    return _guarded(client)


def post(
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    deadline: float,
    max_body: int = 65536,
    timeout: float | None = None,
    session: requests.Session | None = None,
) -> OutboundResponse:
    """POST ``body`` to ``url`` and return the reply, all within ``deadline`` seconds.

    ``timeout`` (default: the deadline) bounds each connect and each read on its own. A ``session`` given by the
    caller (connection reuse, see ``session()``) gets the peer-checking adapter mounted, never uses environment
    proxies, and is left open. Raises OutboundFailure, whose ``reason`` is one of: the refusal codes of
    ``check_url`` except ``unresolvable_host``, "timeout", "connection_refused", "connection_error", "tls_error",
    "protocol_error", "transport_error".
    """
    try:
        _check_shape(url)
    except OutboundURLRefused as refused:
        raise OutboundFailure(refused.code) from None
    per_operation = deadline if timeout is None else min(timeout, deadline)
    own_session = session is None
    client = requests.Session() if own_session else session
    client.trust_env = False  # no proxies from the environment: the peer check must see the real destination
    _guarded(client)
    started = time.monotonic()
    watchdog = _Watchdog(deadline)
    token = _current_watchdog.set(watchdog)
    try:
        with watchdog:
            try:
                with client.post(
                    url,
                    data=body,
                    headers=dict(headers),
                    timeout=(per_operation, per_operation),
                    allow_redirects=False,
                    stream=True,
                ) as response:
                    content = _read_body(response.raw, max_body)
                    if watchdog.expired:
                        raise OutboundFailure("timeout")
                    return OutboundResponse(
                        status=response.status_code,
                        headers=response.headers,
                        body=content,
                        elapsed=time.monotonic() - started,
                    )
            except _PrivateAddress:
                raise OutboundFailure("private_address") from None
            except _TRANSPORT_ERRORS as error:
                # The class only: requests' messages quote the URL, which may carry a token.
                detail = f"{type(error).__module__}.{type(error).__qualname__}"
                reason = "timeout" if watchdog.expired else _failure_reason(error)
                raise OutboundFailure(reason, detail) from None
    finally:
        _current_watchdog.reset(token)
        if own_session:
            client.close()
