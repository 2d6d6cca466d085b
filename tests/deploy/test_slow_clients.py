"""Slow clients, one per gunicorn worker and more, hold connections to nginx; /healthz still answers.

Straight to gunicorn, each of these would pin a sync worker for as long as it drips; nginx reads whole requests
before passing them on (proxy_request_buffering), so the workers stay free.
"""

from tests.deploy.conftest import WORKERS
from tests.deploy.servers import SlowClient, wait_for
from tests.reliability.harness import http_session

# Long enough that no slow client finishes during the test (one byte per 0.1 s); nginx gives up on the headers
# after client_header_timeout (15 s) in all, on a body after that long without a byte.
PADDING = "a" * 3000
DRIPPING_HEADERS = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: {PADDING}\r\n\r\n".encode()
BODY = ("{" + '"reason": "' + PADDING + '"}').encode()
BODY_HEADERS = (
    "POST /v1/orgs/acme/identifications/identity_document HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
).encode()


def test_healthz_answers_while_slow_clients_hold_as_many_connections_as_there_are_workers(nginx, gunicorn):
    # Each kind alone is as many clients as workers: headers a byte at a time, or the body a byte at a time.
    slow_headers = [SlowClient(nginx.port, DRIPPING_HEADERS) for _ in range(WORKERS)]
    slow_bodies = [SlowClient(nginx.port, BODY, upfront=BODY_HEADERS) for _ in range(WORKERS)]
    slow_clients = slow_headers + slow_bodies
    for client in slow_clients:
        client.start()
    try:
        # Every slow client is mid-request: a few header bytes sent, or all headers and a few bytes of the body.
        wait_for(lambda: all(client.sent >= 10 for client in slow_clients), what="every slow client sending")

        response = http_session().get(f"{nginx.url}/healthz", timeout=30)

        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        # ...and the slow bodies, as many as workers, were still connected and sending when it answered. (nginx
        # cuts the slow headers 15 s after they began, by design; bodies only after 15 s without a byte.)
        assert all(client.holding for client in slow_bodies), slow_bodies
    finally:
        for client in slow_clients:
            client.stop()
    assert gunicorn.alive()
