"""A scoring provider for tests: a real HTTP server on 127.0.0.1 that verifies our signatures.

It answers 401 when a request's signature does not verify, and otherwise runs the test's scenario. Servers that
"hang" wait on an event released at teardown, so no test sleeps and no thread outlives its test.
"""

import json
import socket
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from scoring import signing

SECRET = b"org-shared-secret"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool


Scenario = Callable[["_Handler", bytes], None]


@dataclass
class FakeProvider:
    url: str
    secret: bytes = SECRET
    received: list[Received] = field(default_factory=list)
    # Set at teardown: releases handlers that are "hanging".
    release: threading.Event = field(default_factory=threading.Event)
    scenario: Scenario | None = None

    def answer(self, scenario: Scenario) -> None:
        self.scenario = scenario


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked replies need it
    timeout = 10  # a safety net for the socket; no test gets near it

    def log_message(self, format, *args):
        pass

    def do_POST(self):
        provider: FakeProvider = self.server.provider
        self.close_connection = True
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        valid = signing.verify(
            secret=provider.secret,
            body=body,
            header=self.headers.get(signing.SIGNATURE_HEADER, ""),
            now=int(time.time()),
        )
        provider.received.append(Received(self.path, dict(self.headers.items()), body, valid))
        try:
            if not valid:
                send(self, 401, b'{"error": "bad signature"}')
            else:
                provider.scenario(self, body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first, as some tests intend


def send(handler: _Handler, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body)), **(headers or {})}
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()


def reply(status: int, body: bytes | dict | list, headers: dict[str, str] | None = None) -> Scenario:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda handler, _request_body: send(handler, status, raw, headers)


def echo(status: int) -> Scenario:
    """An error reply that quotes the request, as careless services do."""
    return lambda handler, request_body: send(handler, status, b'{"you sent": ' + request_body + b"}")


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/score"


@contextmanager
def running_provider(secret: bytes = SECRET):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    host, port = server.server_address[:2]
    fake = FakeProvider(url=f"http://{host}:{port}/score", secret=secret)
    server.provider = fake
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()  # joins the handler threads, which the event has released
        thread.join(timeout=5)
