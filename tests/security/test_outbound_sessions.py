"""identifications.outbound with a session (webhook batches): connections kept alive between posts, never past a
reply whose body was cut, and the same refusals as a single post."""

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from identifications import outbound


class _KeepAliveHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps the connection open between requests

    def log_message(self, format, *args):
        pass

    def setup(self):
        super().setup()
        self.server.connections += 1

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = self.server.bodies.pop(0) if self.server.bodies else b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def keep_alive_receiver(*bodies: bytes):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveHandler)
    server.daemon_threads = True
    server.connections, server.bodies = 0, list(bodies)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def send(url, session, **kwargs):
    return outbound.post(
        url, body=b"{}", headers={"Content-Type": "application/json"}, deadline=5, session=session, **kwargs
    )


def test_a_session_sends_several_posts_over_one_connection():
    with keep_alive_receiver(b"first", b"second", b"third") as (server, url), outbound.session() as session:
        bodies = [send(url, session).body for _ in range(3)]
    assert bodies == [b"first", b"second", b"third"]
    assert server.connections == 1


def test_a_reply_cut_at_max_body_is_not_reused_and_the_next_reply_is_whole():
    with keep_alive_receiver(b"x" * 100, b"next") as (server, url), outbound.session() as session:
        assert send(url, session, max_body=10).body == b"x" * 10
        assert send(url, session, max_body=10).body == b"next"  # not the rest of the first body
    assert server.connections == 2


def test_a_callers_session_ignores_environment_proxies(monkeypatch):
    # A proxy would hide the real destination from the peer check: a plain requests session must not use one.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    with keep_alive_receiver(b"direct") as (_server, url), requests.Session() as session:
        assert send(url, session).body == b"direct"


def test_a_session_refuses_a_name_resolving_to_loopback(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    with (
        keep_alive_receiver() as (server, _url),
        outbound.session() as session,
        pytest.raises(outbound.OutboundFailure) as caught,
    ):
        send(f"https://localhost:{server.server_address[1]}/hook", session)
    assert caught.value.reason == "private_address"
