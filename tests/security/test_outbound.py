"""identifications.outbound against real local HTTP servers: the deadline, redirects and address refusals.

Servers that drip wait on an event set at teardown between bytes, so no test sleeps and no thread outlives its test.
"""

import contextlib
import socket
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from identifications.outbound import OutboundFailure, OutboundURLRefused, check_url, post

# Each drip comes well within the per-read timeout; only the total deadline can stop the exchange.
DRIP_INTERVAL = 0.05
PER_READ_TIMEOUT = 2.0
DEADLINE = 0.5


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def do_POST(self):
        self.close_connection = True
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append((self.path, body))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up first, as intended
            self.server.scenario(self)


@contextmanager
def receiver(scenario):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.scenario, server.received, server.release = scenario, [], threading.Event()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def url_of(server, host="127.0.0.1", scheme="http") -> str:
    return f"{scheme}://{host}:{server.server_address[1]}/hook"


def answer(status, body=b"", headers=None):
    def scenario(handler):
        handler.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    return scenario


def call(url, **kwargs):
    return post(url, body=b'{"a":1}', headers={"Content-Type": "application/json"}, **{"deadline": 5, **kwargs})


def test_reply_is_returned_with_case_insensitive_headers():
    with receiver(answer(201, b"hello", {"X-Thing": "yes"})) as server:
        response = call(url_of(server))
    assert response.status == 201
    assert response.body == b"hello"
    assert response.headers["x-thing"] == "yes"
    assert server.received == [("/hook", b'{"a":1}')]


def test_body_is_cut_at_max_body():
    with receiver(answer(200, b"x" * 1000)) as server:
        assert call(url_of(server), max_body=10).body == b"x" * 10


def test_redirect_is_returned_not_followed():
    with receiver(answer(302, headers={"Location": "/elsewhere"})) as server:
        response = call(url_of(server))
        assert response.status == 302
        assert response.headers["Location"] == "/elsewhere"
        assert len(server.received) == 1


def drip_headers(handler):
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for _ in range(200):  # 10 s of headers, one byte at a time
        if handler.server.release.wait(DRIP_INTERVAL):
            return
        handler.wfile.write(b"X")
        handler.wfile.flush()


def drip_body(handler):
    handler.send_response(200)
    handler.send_header("Content-Length", "200")
    handler.end_headers()
    for _ in range(200):
        if handler.server.release.wait(DRIP_INTERVAL):
            return
        handler.wfile.write(b"x")
        handler.wfile.flush()


@pytest.mark.parametrize("scenario", [drip_headers, drip_body], ids=["headers", "body"])
def test_drip_feeding_server_is_cut_at_the_total_deadline(scenario):
    # Every read gets a byte within the per-read timeout and the server ends the exchange itself after 10 s, so
    # only the total deadline can make this a timeout.
    with receiver(scenario) as server, pytest.raises(OutboundFailure) as caught:
        call(url_of(server), deadline=DEADLINE, timeout=PER_READ_TIMEOUT)
    assert caught.value.reason == "timeout"


def test_connection_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(OutboundFailure) as caught:
        call(f"http://127.0.0.1:{port}/hook?token=s3cr3t")
    assert caught.value.reason == "connection_refused"
    assert "s3cr3t" not in str(caught.value)


# --- refusals (the test settings allow private URLs; these tests put the production default back) --------------


@pytest.fixture
def public_only(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False


def test_a_name_resolving_to_loopback_is_refused_at_connect_time(public_only):
    # https://localhost passes every rule that needs no DNS; the connection's peer is 127.0.0.1.
    with receiver(answer(200, b"{}")) as server:
        with pytest.raises(OutboundFailure) as caught:
            call(url_of(server, host="localhost", scheme="https"))
        assert caught.value.reason == "private_address"
        assert server.received == []


def test_http_is_refused_at_call_time(public_only):
    with receiver(answer(200, b"{}")) as server:
        with pytest.raises(OutboundFailure) as caught:
            call(url_of(server))
        assert caught.value.reason == "https_required"
        assert server.received == []


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://172.16.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fd00::1]/hook",
        "https://2130706433/hook",  # 127.0.0.1 as one decimal number
    ],
)
def test_check_url_refuses_private_addresses(public_only, url):
    with pytest.raises(OutboundURLRefused) as caught:
        check_url(url)
    assert caught.value.code == "private_address"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://93.184.216.34/hook", "https_required"),
        ("ftp://93.184.216.34/hook", "https_required"),
        ("https://user:pass@93.184.216.34/hook", "credentials_in_url"),
        ("https://93.184.216.34/" + "a" * 2000, "too_long"),
        ("https:///hook", "invalid_url"),
        ("https://93.184.216.34:99999/hook", "invalid_url"),
        ("https://host.invalid/hook", "unresolvable_host"),
    ],
)
def test_check_url_rules(public_only, url, code):
    with pytest.raises(OutboundURLRefused) as caught:
        check_url(url)
    assert caught.value.code == code
    assert str(caught.value)


@pytest.mark.parametrize("url", ["https://93.184.216.34/hook", "https://[2606:4700:4700::1111]:8443/hook"])
def test_check_url_accepts_public_addresses(public_only, url):
    check_url(url)


def test_the_setting_lifts_https_and_address_rules(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    check_url("http://127.0.0.1:8000/hook")
    with pytest.raises(OutboundURLRefused):
        check_url("http://user:pass@127.0.0.1/hook")
