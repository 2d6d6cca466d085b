"""Asynchronous scoring with real `manage.py db_worker` processes on PostgreSQL (issue 12, "never lost").

The attempt is stored by `manage.py shell` with the services (as validate does: attempt and task row in one
transaction), for an EXTERNAL provider served by this process, which holds the first request open so that the first
worker is deterministically mid-scoring when it is SIGKILLed. Every wait is a bounded poll of the provider or the
database.
"""

import json
import os
import signal
import threading
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.reliability.harness import manage, poll
from tests.reliability.test_webhook_workers import WORKER, process

PASSING = {"score": 91, "checks": [{"name": "document_control_character", "passed": True, "weight": 100, "reason": ""}]}
# An organization with its scoring URL, an EXTERNAL identification at LOW and one validation; prints its id.
SETUP = """
from datetime import timedelta
from identifications.actors import Actor
from identifications.models import Organization
from identifications.services import DeviceContext, identification_create, identification_validate
from scoring.checks import EvidenceMetadata
from scoring.models import Configuration

organization = Organization.objects.create(slug={slug!r}, name={slug!r}, scoring_url={url!r})
identification = identification_create(
    organization=organization, actor=Actor.command("test"), configuration=Configuration.objects.get(name="LOW"),
    scoring_provider="EXTERNAL", expires_in=timedelta(days=1),
)
identification_validate(
    identification=identification, actor=Actor.holder(),
    device=DeviceContext(installation_id="install-1", fingerprint="fp-1", user_agent="test"),
    metadata=EvidenceMetadata(document_number="12345678Z"),
)
print(identification.pk)
"""
STATE = """
    SELECT a.state, a.tries, i.status, i.attempts_used, i.attempt_processing,
           (SELECT count(*) FROM scoring_scoringattempt other WHERE other.identification_id = i.id),
           (SELECT count(*) FROM identifications_event e WHERE e.identification_id = i.id
                                                           AND e.type = 'identification.verified')
    FROM scoring_scoringattempt a JOIN identifications_identification i ON i.id = a.identification_id
    WHERE i.id = %s
"""


class HoldingProvider:
    """An EXTERNAL scoring service: counts requests, holds the first open until `release()`, answers PASSING."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()
        self.released = threading.Event()
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with state.lock:
                    state.count += 1
                    first = state.count == 1
                if first:
                    state.released.wait(timeout=300)
                body = json.dumps(PASSING).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the worker that asked is dead

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/score"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def requests(self) -> int:
        with self.lock:
            return self.count

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def state(scratch, identification_id: str) -> tuple:
    with scratch.connect() as connection:
        return connection.execute(STATE, (identification_id,)).fetchone()


def test_a_worker_killed_mid_scoring_loses_nothing_and_the_attempt_counts_once(on_postgres, scratch, tmp_path):
    # A short lease, written by the worker that claims: the killed worker's hold expires in 2 s.
    env = scratch.environment(
        WEBHOOKS_ALLOW_PRIVATE_URLS="true", SCORING_ATTEMPT_LEASE_SECONDS="2", MEDIA_ROOT=str(tmp_path / "media")
    )
    provider = HoldingProvider()
    try:
        output = manage("shell", "-c", SETUP.format(slug="killed-scorer", url=provider.url), env=env)
        identification_id = output.strip().splitlines()[-1]
        # Stored, queued, nobody scoring yet: GET would show processing.
        assert state(scratch, identification_id) == ("processing", 0, "PENDING", 0, True, 1, 0)

        with process(WORKER, env, tmp_path / "worker-1.log") as first:
            # The first worker is mid-scoring: its request to the provider is held open.
            poll(lambda: provider.requests() == 1, attempts=1200, interval=0.05, what="the first worker's request")
            assert state(scratch, identification_id) == ("processing", 1, "PENDING", 0, True, 1, 0)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=15)
        provider.released.set()  # its answer goes nowhere: the worker died before recording an outcome
        assert state(scratch, identification_id) == ("processing", 1, "PENDING", 0, True, 1, 0)

        # The sweeper re-queues the attempt once the lease has expired; another worker scores it.
        with ExitStack() as stack:
            stack.enter_context(process(WORKER, env, tmp_path / "worker-2.log"))
            stack.enter_context(process(["manage.py", "sweep", "--every", "1"], env, tmp_path / "sweeper.log"))
            poll(
                lambda: state(scratch, identification_id)[0] == "scored",
                attempts=1200,
                interval=0.1,
                what="the attempt scored by the second worker",
            )
        # Scored exactly once: one attempt, counted once, one verified event; the provider was asked twice.
        assert state(scratch, identification_id) == ("scored", 2, "VERIFIED", 1, False, 1, 1)
        assert provider.requests() == 2
    finally:
        provider.close()
