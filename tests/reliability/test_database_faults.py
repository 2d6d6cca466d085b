"""The database going away under gunicorn: 503 ErrorsResponses while it is gone, recovery without a restart.

gunicorn (production settings, config/gunicorn.conf.py) reaches PostgreSQL through a TCP proxy run by the test,
which cuts the connections (the database went down), stalls them (the host stopped answering) and restores them.
An unexpected error through the same stack is a 500 ErrorsResponse with the request id and nothing internal. A
background worker that loses the database mid-scoring loses no attempt.
"""

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from scoring.secrets import scoring_signing_secret
from tests.fake_scoring_provider import running_provider, send
from tests.reliability.harness import SECRET_KEY, Gunicorn, Tenant, http_session, manage, poll, running_gunicorn
from tests.reliability.racing import TRANSACTIONAL
from tests.reliability.tcp_proxy import TCPProxy
from tests.reliability.test_webhook_workers import WORKER, process

WORKERS = 2
TIMEOUT = 20  # seconds, any single request
UNAVAILABLE = [{"code": "service_unavailable", "message": "The service is temporarily unavailable. Try again shortly."}]
CREATE_BODY = {
    "name": "Zebedee",
    "last_name": "Quixote",
    "identity_document": {"document_number": "87654321X", "document_type": "NIF"},
    "configuration_name": "LOW",
}
# What must never reach a response or a log line: the person's data.
PERSONAL = ("Zebedee", "Quixote", "87654321X")
DEVICE = {"x-installation-id": "install-1", "x-fingerprint": "fp-1", "User-Agent": "ReliabilityTest/1.0"}


@dataclass
class Api:
    """An HTTP client for one organization of the server under test."""

    base: str
    tenant: Tenant

    def __post_init__(self):
        self.session = http_session()
        self.root = f"{self.base}/v1/orgs/{self.tenant.slug}/identifications/identity_document"
        self.key = {"Authorization": f"Bearer {self.tenant.api_key}"}

    def create(self, body=None, **headers) -> requests.Response:
        return self.session.post(self.root, json=body or CREATE_BODY, headers={**self.key, **headers}, timeout=TIMEOUT)

    def close(self, identification_id: str) -> requests.Response:
        return self.session.post(f"{self.root}/{identification_id}/close", headers=self.key, timeout=TIMEOUT)

    def get(self, identification_id: str, secret: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {secret}"} if secret else self.key
        return self.session.get(f"{self.root}/{identification_id}", headers=headers, timeout=TIMEOUT)

    def validate(self, identification_id: str, **headers) -> requests.Response:
        return self.session.post(
            f"{self.root}/{identification_id}/validate",
            json={"evidence_metadata": {"document_number": "87654321X", "document_type": "NIF"}},
            headers={**self.key, **DEVICE, **headers},
            timeout=TIMEOUT,
        )

    def healthz(self) -> requests.Response:
        return self.session.get(f"{self.base}/healthz", timeout=TIMEOUT)


@pytest.fixture(scope="module")
def tenant(scratch) -> Tenant:
    """One organization for the module (each test starts its own server): made once, it saves two manage.py runs
    per test."""
    return scratch.tenant("faults")


@contextmanager
def serving_through_proxy(scratch, log_path: Path, **settings: str) -> Iterator[tuple[Gunicorn, TCPProxy]]:
    with TCPProxy(scratch.server.host, scratch.server.port) as proxy:
        env = scratch.environment(DATABASE_URL=scratch.url(host="127.0.0.1", port=proxy.port), **settings)
        with running_gunicorn(env, log_path, workers=WORKERS) as gunicorn:
            yield gunicorn, proxy


def assert_unavailable(response: requests.Response, request_id: str | None = None) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"errors": UNAVAILABLE}
    assert response.headers["Retry-After"] == "5"
    if request_id:
        assert response.headers["X-Request-ID"] == request_id


def every_worker_holds_a_connection(proxy: TCPProxy, send) -> None:
    """Send requests (each must succeed) until each worker holds its persistent connection: sync workers take
    requests in no set order, so only the proxy can tell."""

    def connected():
        response = send()
        assert response.status_code == 200, response.text
        return proxy.relayed_connections == WORKERS

    poll(connected, attempts=50, interval=0.05, what=f"{WORKERS} persistent connections")


def assert_no_restarts(gunicorn: Gunicorn) -> None:
    assert gunicorn.alive()
    assert gunicorn.booted_workers() == WORKERS, "a worker died and was replaced"
    assert "Traceback" not in gunicorn.log(), gunicorn.log()[-3000:]


@TRANSACTIONAL
@pytest.mark.parametrize("conn_max_age", ["0", "60"])
def test_database_going_away_is_503_and_the_service_recovers_by_itself(
    on_postgres, scratch, tenant, tmp_path, conn_max_age
):
    """With a connection per request (0), and with persistent connections checked before reuse (60), which every
    worker holds when the database goes away."""
    persistent = conn_max_age != "0"
    with serving_through_proxy(scratch, tmp_path / "gunicorn.log", CONN_MAX_AGE=conn_max_age) as (gunicorn, proxy):
        api = Api(gunicorn.url, tenant)
        opened = [api.create().json() for _ in range(2 * WORKERS)]

        # The holder's get: its first query authenticates the client secret. (A create's first query would be the
        # rate limiter's counter, which swallows database errors and so hides a dead connection.)
        def holder_get():
            return api.get(opened[1]["id"], secret=opened[1]["client_secret"])

        if persistent:
            every_worker_holds_a_connection(proxy, holder_get)

        # A restart while nobody was asking: no request pays for it (the health check replaces a dead connection).
        proxy.cut()
        proxy.restore()
        if persistent:
            every_worker_holds_a_connection(proxy, holder_get)
        else:
            assert all(holder_get().status_code == 200 for _ in range(2 * WORKERS))

        proxy.cut()

        # Every worker, every path to the database: authentication by API key and by client secret, the handlers.
        for attempt in range(2 * WORKERS):
            assert_unavailable(api.create(**{"X-Request-ID": f"down-{attempt}"}), f"down-{attempt}")
            assert_unavailable(api.close(opened[0]["id"]))
            assert_unavailable(api.get(opened[0]["id"], secret=opened[0]["client_secret"]))
            health = api.healthz()
            assert (health.status_code, health.json()) == (503, {"status": "unavailable"})

        proxy.restore()

        # Back by itself: no restart, a bounded number of retries.
        poll(lambda: api.healthz().status_code == 200, attempts=40, interval=0.25, what="healthz after restore")
        for _ in range(2 * WORKERS):
            assert api.create().status_code == 200
            assert api.healthz().status_code == 200
        assert api.close(opened[0]["id"]).status_code == 204
        assert api.get(opened[1]["id"], secret=opened[1]["client_secret"]).json()["status"] == "PENDING"
        assert_no_restarts(gunicorn)
        assert "database unavailable: OperationalError" in gunicorn.log()


@TRANSACTIONAL
def test_an_unresponsive_database_is_503_within_the_connect_timeout(on_postgres, scratch, tenant, tmp_path):
    """A database host that accepts connections and never answers: without a connect timeout every request would
    hang until gunicorn kills the worker (30 s) and the client gets no answer at all."""
    with serving_through_proxy(scratch, tmp_path / "gunicorn.log", DATABASE_CONNECT_TIMEOUT="2") as (gunicorn, proxy):
        api = Api(gunicorn.url, tenant)
        assert api.create().status_code == 200

        proxy.stall()

        # Answered by the application, not by gunicorn killing the hung worker after 30 s (which leaves the client
        # without any answer): that is what the connect timeout buys, shown without timing anything.
        response = api.create()
        assert_unavailable(response)
        health = api.healthz()
        assert (health.status_code, health.json()) == (503, {"status": "unavailable"})

        proxy.restore()

        poll(lambda: api.healthz().status_code == 200, attempts=40, interval=0.25, what="healthz after restore")
        assert api.create().status_code == 200
        assert_no_restarts(gunicorn)


PASSING = {"score": 91, "checks": [{"name": "document_control_character", "passed": True, "weight": 100, "reason": ""}]}


@TRANSACTIONAL
def test_connection_lost_while_the_worker_scores_loses_nothing(on_postgres, scratch, tenant, tmp_path, settings):
    """Validate answers at once and a db_worker (through the same proxy as gunicorn) scores with EXTERNAL; the proxy
    cuts the database while the worker waits for the provider, so its outcome cannot be written. After the restore
    the sweeper re-queues the attempt (its lease expired) and it is scored exactly once."""
    with scratch.connect() as db:
        organization_id, version = db.execute(
            "SELECT id, scoring_secret_version FROM identifications_organization WHERE slug = %s", [tenant.slug]
        ).fetchone()
    settings.SECRET_KEY = SECRET_KEY  # the server's, from which the organization's signing secret derives
    secret = scoring_signing_secret(SimpleNamespace(pk=organization_id, scoring_secret_version=version))
    scoring_called, answer = threading.Event(), threading.Event()

    def hold_then_pass(handler, _body):
        scoring_called.set()
        answer.wait(timeout=TIMEOUT)
        send(handler, 200, json.dumps(PASSING).encode())

    # The provider listens on 127.0.0.1 over http: private URLs allowed, as in development. A 2 s lease: the cut
    # worker's hold expires soon after the restore.
    overrides = {"WEBHOOKS_ALLOW_PRIVATE_URLS": "true", "SCORING_ATTEMPT_LEASE_SECONDS": "2"}
    with (
        running_provider(secret=secret) as provider,
        serving_through_proxy(scratch, tmp_path / "gunicorn.log", **overrides) as (gunicorn, proxy),
    ):
        with scratch.connect() as db:
            db.execute(
                "UPDATE identifications_organization SET scoring_url = %s WHERE id = %s",
                [provider.url, organization_id],
            )
        provider.answer(hold_then_pass)
        api = Api(gunicorn.url, tenant)
        identification_id = api.create({**CREATE_BODY, "scoring": {"provider": "EXTERNAL"}}).json()["id"]
        response = api.validate(identification_id, **{"Idempotency-Key": "v-1"})
        assert response.status_code == 204, response.text
        assert provider.received == []  # no scoring in the request
        assert api.get(identification_id).json()["attempts"] == {"used": 0, "max": 5, "processing": True}

        proxied = scratch.environment(DATABASE_URL=scratch.url(host="127.0.0.1", port=proxy.port), **overrides)
        with process(WORKER, proxied, tmp_path / "worker.log"):
            try:
                assert scoring_called.wait(timeout=TIMEOUT), "the provider was never called"
                proxy.cut()
            finally:
                answer.set()
            # The worker's outcome went nowhere: still processing, not counted.
            with scratch.connect() as db:
                assert db.execute(
                    "SELECT state FROM scoring_scoringattempt a JOIN identifications_identification i "
                    "ON i.id = a.identification_id WHERE i.id = %s",
                    [identification_id],
                ).fetchone() == ("processing",)
            proxy.restore()
            poll(lambda: api.healthz().status_code == 200, attempts=40, interval=0.25, what="healthz after restore")
            # The sweeper (run directly, once the lease has expired) re-queues it; a worker scores it.
            poll(
                lambda: (
                    manage("sweep", env=scratch.environment())
                    and api.get(identification_id).json()["status"] == "VERIFIED"
                ),
                attempts=60,
                interval=0.5,
                what="the attempt scored after the restore",
            )
        body = api.get(identification_id).json()
        assert body["attempts"] == {"used": 1, "max": 5, "processing": False}
        assert len(provider.received) == 2
        with scratch.connect() as db:
            verified = db.execute(
                "SELECT count(*) FROM identifications_event WHERE identification_id = %s "
                "AND type = 'identification.verified'",
                [identification_id],
            ).fetchone()
        assert verified == (1,)
        assert_no_restarts(gunicorn)


@TRANSACTIONAL
def test_an_unexpected_error_is_500_errors_response_with_the_request_id_and_nothing_internal(
    on_postgres, scratch, tenant, tmp_path
):
    """A constraint nobody expects makes PostgreSQL refuse the INSERT. Its message quotes the whole row
    (`Failing row contains (... Zebedee ...)`), which must reach neither the client nor the log."""
    marker = f"Quixote{uuid.uuid4().hex[:8]}"  # this test's rows, among the module's
    request_id = f"reliability-{uuid.uuid4().hex[:8]}"
    with running_gunicorn(scratch.environment(), tmp_path / "gunicorn.log", workers=WORKERS) as gunicorn:
        api = Api(gunicorn.url, tenant)
        with scratch.connect() as db:
            db.execute(
                "ALTER TABLE identifications_identification ADD CONSTRAINT reliability_refuse_marker "
                f"CHECK (last_name IS DISTINCT FROM '{marker}') NOT VALID"
            )
        try:
            response = api.create({**CREATE_BODY, "last_name": marker}, **{"X-Request-ID": request_id})
        finally:
            with scratch.connect() as db:
                db.execute("ALTER TABLE identifications_identification DROP CONSTRAINT reliability_refuse_marker")
        after = api.create({**CREATE_BODY, "last_name": marker})
        log = gunicorn.log()

    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Request-ID"] == request_id
    [error] = response.json()["errors"]
    assert error["code"] == "internal_error"
    assert "X-Request-ID" in error["message"]
    for internal in (*PERSONAL, marker, "Traceback", "violates", "constraint", "identifications_", "psycopg"):
        assert internal not in response.text
    # Logged with the request id and where it failed, without the message that quotes the row.
    [logged] = [line for line in log.splitlines() if "unexpected IntegrityError" in line]
    assert f"request_id={request_id}" in logged
    for personal in (*PERSONAL, marker):
        assert personal not in log
    assert after.status_code == 200
    with scratch.connect() as db:
        [(rows,)] = db.execute(
            "SELECT count(*) FROM identifications_identification WHERE last_name = %s", [marker]
        ).fetchall()
    assert rows == 1, "the failed create left a row behind, or the next one did not write"
