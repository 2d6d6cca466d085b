"""Webhook delivery with real `manage.py db_worker` processes on PostgreSQL (issue 11, "Guarantees to prove").

Events are made in a scratch database by `manage.py shell` with the services (as bench/webhooks.py does), delivered
by worker subprocesses (production settings) to a receiver in this process, which verifies every signature with the
`standardwebhooks` library against the raw bytes. Every wait is a bounded poll of the receiver or the database.
"""

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

from tests.reliability.harness import PROJECT, manage, poll
from tests.webhooks.receiver import Received, start_receiver

WORKER = ["manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.05"]
# Events made with the services in the scratch database; prints the endpoint's secret, then the events' ids.
SETUP = """
from datetime import timedelta
from identifications.actors import Actor
from identifications.models import Organization
from identifications.services import identification_create
from identifications.services.webhooks import webhook_endpoint_create
from scoring.models import Configuration

organization = Organization.objects.create(slug={slug!r}, name={slug!r})
_, secret = webhook_endpoint_create(organization=organization, url={url!r})
configuration = Configuration.objects.get(name="HIGH")
ids = []
for _ in range({count}):
    identification = identification_create(
        organization=organization, actor=Actor.command("test"), configuration=configuration,
        scoring_provider="INTERNAL", expires_in=timedelta(days=1),
    )
    ids.append(identification.public_events.get().public_id)
print(secret)
print("\\n".join(ids))
"""
DELIVERIES = """
    SELECT e.public_id, d.status, (SELECT count(*) FROM identifications_webhookdeliveryattempt a
                                   WHERE a.delivery_id = d.id)
    FROM identifications_webhookdelivery d
    JOIN identifications_event e ON e.id = d.event_id
    JOIN identifications_webhookendpoint w ON w.id = d.endpoint_id
    JOIN identifications_organization o ON o.id = w.organization_id
    WHERE o.slug = %s
"""


def make_events(env, *, slug: str, url: str, count: int) -> tuple[str, list[str]]:
    output = manage("shell", "-c", SETUP.format(slug=slug, url=url, count=count), env=env).strip().splitlines()
    return output[-count - 1], output[-count:]


def deliveries(scratch, slug: str) -> dict[str, tuple[str, int]]:
    """{webhook-id: (status, attempts recorded)} for the organization's deliveries."""
    with scratch.connect() as connection:
        return {row[0]: (row[1], row[2]) for row in connection.execute(DELIVERIES, (slug,))}


def verify(secret: str, requests_) -> None:
    for request in requests_:
        Webhook(secret).verify(request.body, request.headers)  # raises if the signature does not match the bytes


@contextmanager
def process(args: list[str], env: dict[str, str], log_path) -> Iterator[subprocess.Popen]:
    """`python ARGS` in its own process group, logs in a file; SIGKILLed (with its group) if still running."""
    with open(log_path, "ab") as log:
        child = subprocess.Popen(
            [sys.executable, *args], cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield child
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=15)


class HoldingReceiver:
    """Records every request; holds the first one open until `release()`, then answers 200 to all."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        self.released = threading.Event()
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with state.lock:
                    state.requests.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                    first = len(state.requests) == 1
                if first:
                    state.released.wait(timeout=300)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the worker that sent it is dead

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ids(self) -> list[str]:
        with self.lock:
            return [request.headers["webhook-id"] for request in self.requests]

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_worker_killed_mid_delivery_loses_nothing(on_postgres, scratch, tmp_path):
    # A short lease, written by the worker that claims: the killed worker's hold expires in 2 s.
    env = scratch.environment(WEBHOOKS_ALLOW_PRIVATE_URLS="true", WEBHOOKS_DELIVERY_LEASE_SECONDS="2")
    receiver = HoldingReceiver()
    try:
        secret, (event_id,) = make_events(env, slug="killed-worker", url=receiver.url, count=1)
        with process(WORKER, env, tmp_path / "worker-1.log") as first:
            # The first worker is mid-delivery: its request is held open by the receiver.
            poll(lambda: receiver.ids(), attempts=1200, interval=0.05, what="the first worker's request")
            assert deliveries(scratch, "killed-worker") == {event_id: ("PENDING", 0)}
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=15)
        receiver.released.set()  # its answer goes nowhere: the worker died before recording an outcome
        assert deliveries(scratch, "killed-worker") == {event_id: ("PENDING", 0)}

        # The sweeper re-queues the delivery once its lease has expired (and it is overdue), another worker sends it.
        with ExitStack() as stack:
            stack.enter_context(process(WORKER, env, tmp_path / "worker-2.log"))
            stack.enter_context(
                process(["manage.py", "sweep_webhook_deliveries", "--every", "1"], env, tmp_path / "sweeper.log")
            )
            poll(lambda: len(receiver.ids()) >= 2, attempts=1800, interval=0.1, what="the delivery sent again")
            poll(
                lambda: deliveries(scratch, "killed-worker")[event_id][0] == "SUCCEEDED",
                attempts=600,
                interval=0.1,
                what="the delivery recorded as succeeded",
            )
        assert receiver.ids() == [event_id, event_id]  # the same webhook-id, the duplicate a lost outcome allows
        assert deliveries(scratch, "killed-worker") == {event_id: ("SUCCEEDED", 1)}
        verify(secret, receiver.requests)
    finally:
        receiver.close()


EVENTS = 1000


def test_three_workers_deliver_a_burst_of_a_thousand_events(on_postgres, scratch, tmp_path):
    env = scratch.environment(WEBHOOKS_ALLOW_PRIVATE_URLS="true")
    receiver, server = start_receiver()
    try:
        # No worker yet: the burst waits in the queue.
        secret, ids = make_events(env, slug="burst", url=receiver.url, count=EVENTS)
        assert len(set(ids)) == EVENTS
        with ExitStack() as stack:
            for number in range(3):
                stack.enter_context(process(WORKER, env, tmp_path / f"worker-{number}.log"))
            poll(
                lambda: set(ids) <= set(receiver.ids()),
                attempts=2400,
                interval=0.1,
                what=f"all {EVENTS} webhook-ids received",
            )
            poll(
                lambda: all(status == "SUCCEEDED" for status, _ in deliveries(scratch, "burst").values()),
                attempts=600,
                interval=0.1,
                what="every delivery recorded as succeeded",
            )
        received = Counter(receiver.ids())
        recorded = deliveries(scratch, "burst")
        assert set(received) == set(ids) == set(recorded)
        # A webhook-id arrives again only if an attempt's outcome was lost and the delivery sent again; no worker
        # died here, so each arrived exactly as often as an attempt was recorded.
        assert {event_id: received[event_id] for event_id in ids} == {
            event_id: attempts for event_id, (_, attempts) in recorded.items()
        }
        verify(secret, receiver.requests)
    finally:
        server.shutdown()
        server.server_close()
