"""Load without loss: thousands of mixed creates and closes against gunicorn and PostgreSQL, then a full audit.

gunicorn (4 sync workers, recycled every ~200 requests) runs with production settings against a scratch PostgreSQL
database; 12 client threads send up to 3,000 requests in up to 40 s: creates, a few invalid ones, closes of ids
created earlier, closes repeated or racing each other, closes of unknown ids. Afterwards every answer is reconciled
with the rows and audit events of the test's organization.
"""

import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from tests.reliability.harness import http_session, running_gunicorn
from tests.reliability.racing import TRANSACTIONAL

REQUESTS = 3000
CLIENT_THREADS = 12
SERVER_WORKERS = 4
# The load stops after REQUESTS or DEADLINE_SECONDS, whichever comes first, so that a slow or busy machine makes
# the test shorter, not longer; everything sent is audited either way, and at least MINIMUM_REQUESTS must be done.
DEADLINE_SECONDS = 40
MINIMUM_REQUESTS = 1000
# Workers are replaced after this many requests (production: about 1,000), so that graceful recycling happens under
# load: MINIMUM_REQUESTS spread over the workers is more than one worker's maximum, so at least one is replaced.
RECYCLE_AFTER = ("--max-requests", "200", "--max-requests-jitter", "20")
REQUEST_TIMEOUT_SECONDS = 20
SEED = 20261125

CREATE_BODY = {
    "name": "James",
    "last_name": "Smith",
    "identity_document": {"document_number": "12345678A", "document_type": "NIF", "country": "ES"},
    "configuration_name": "HIGH",
    "expires_in": "P7D",
}
INVALID_CREATE_BODY = {"identity_document": {"document_number": "1234", "document_type": "DNI"}}


@dataclass(frozen=True)
class Result:
    kind: str  # create | create_invalid | close | close_unknown
    status: int
    identification_id: str | None = None


class Workload:
    """Decides the next request from what has been created and closed so far; thread-safe, deterministic mix."""

    def __init__(self, total: int, seed: int):
        self.remaining = total
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.open_ids: list[str] = []  # created, never sent a close
        self.closed_ids: list[str] = []  # sent at least one close

    def next(self) -> tuple[str, str | None] | None:
        with self.lock:
            if self.remaining == 0:
                return None
            self.remaining -= 1
            roll = self.random.random()
            if roll < 0.40 or not self.open_ids:
                return ("create_invalid", None) if roll < 0.04 else ("create", None)
            if roll < 0.80:
                identification_id = self.open_ids.pop(self.random.randrange(len(self.open_ids)))
                self.closed_ids.append(identification_id)
                if self.random.random() < 0.15:
                    # Leave it open too: another thread may close it at the same moment (a race, one 204).
                    self.open_ids.append(identification_id)
                return "close", identification_id
            if roll < 0.95 and self.closed_ids:
                return "close", self.random.choice(self.closed_ids)  # again: 409, or the 204 if it races
            return "close_unknown", str(uuid.uuid4())

    def created(self, identification_id: str) -> None:
        with self.lock:
            self.open_ids.append(identification_id)


@TRANSACTIONAL
def test_thousands_of_creates_and_closes_lose_nothing(on_postgres, scratch, tmp_path):
    tenant = scratch.tenant("loadtest")
    env = scratch.environment(
        MEDIA_ROOT=str(tmp_path / "media"),
        # Persistent connections (with Django's health checks), as the README recommends for production.
        CONN_MAX_AGE="60",
        # One API key sends everything here; the per-key limit (600/minute) is not what this test measures.
        API_RATE_LIMIT="1000000/minute",
    )
    with running_gunicorn(env, tmp_path / "gunicorn.log", workers=SERVER_WORKERS, args=RECYCLE_AFTER) as gunicorn:
        base = f"{gunicorn.url}/v1/orgs/{tenant.slug}/identifications/identity_document"
        results, failures, elapsed = drive(base, tenant.api_key, Workload(REQUESTS, SEED))
    server_log = gunicorn.log()
    with scratch.connect() as db:
        rows = dict(
            db.execute(
                "SELECT i.id::text, i.status FROM identifications_identification i "
                "JOIN identifications_organization o ON o.id = i.organization_id WHERE o.slug = %s",
                [tenant.slug],
            ).fetchall()
        )
        events = db.execute(
            "SELECT e.identification_id::text, e.from_status, e.to_status FROM identifications_identificationevent e "
            "JOIN identifications_identification i ON i.id = e.identification_id "
            "JOIN identifications_organization o ON o.id = i.organization_id WHERE o.slug = %s",
            [tenant.slug],
        ).fetchall()

    summary = f"{len(results)} requests in {elapsed:.1f} s, {Counter((r.kind, r.status) for r in results)}"
    print(summary)  # throughput, shown with pytest -rP
    assert not failures, f"{len(failures)} requests failed without an answer, the first: {failures[0]!r}; {summary}"
    assert len(results) >= MINIMUM_REQUESTS, f"too slow to say anything: {summary}"
    statuses = Counter(r.status for r in results)
    assert not [s for s in statuses if s >= 500], summary
    # Each kind of request got only the answers it can get.
    allowed = {"create": {200}, "create_invalid": {400}, "close": {204, 409}, "close_unknown": {404}}
    assert all(r.status in allowed[r.kind] for r in results), summary
    # The mix really happened: conflicts included.
    kinds = Counter((r.kind, r.status) for r in results)
    assert min(kinds[("create", 200)], kinds[("close", 204)]) > len(results) / 4 and kinds[("close", 409)] > 20, summary

    created = [r.identification_id for r in results if r.kind == "create"]
    assert len(created) == len(set(created)), "an id was handed out twice"
    # Every 200 create is exactly one row, and there is no row that no create answered for.
    assert set(rows) == set(created)
    assert len(rows) == len(created)

    wins = Counter(r.identification_id for r in results if r.kind == "close" and r.status == 204)
    attempted = {r.identification_id for r in results if r.kind == "close"}
    assert max(wins.values()) == 1, "an identification was closed twice"
    # Every identification that was sent a close was PENDING for days: exactly one of its closes won.
    assert set(wins) == attempted
    assert {i for i, status in rows.items() if status == "CLOSED"} == set(wins)
    assert {status for i, status in rows.items() if i not in wins} <= {"PENDING"}

    by_identification = defaultdict(list)
    for identification_id, from_status, to_status in events:
        by_identification[identification_id].append((from_status, to_status))
    assert set(by_identification) == set(rows), "identifications without events"
    for identification_id, status in rows.items():
        expected = [(None, "PENDING")] + ([("PENDING", "CLOSED")] if status == "CLOSED" else [])
        assert sorted(by_identification[identification_id], key=str) == sorted(expected, key=str), identification_id

    assert "Traceback" not in server_log and "WORKER TIMEOUT" not in server_log, server_log[-3000:]
    assert "Autorestarting worker" in server_log, "no worker was recycled under load"
    # Every worker booted after the first ones replaced a recycled one: none crashed or was killed.
    assert server_log.count("Booting worker") <= SERVER_WORKERS + server_log.count("Autorestarting worker")


def drive(base: str, api_key: str, workload: Workload):
    """Send the workload from CLIENT_THREADS threads, each with its own HTTP client, until it is done or the
    deadline passes. Returns (results, failures without an answer, elapsed seconds)."""
    headers = {"Authorization": f"Bearer {api_key}"}
    deadline = time.monotonic() + DEADLINE_SECONDS
    results: list[Result] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def client() -> None:
        session = http_session()
        while time.monotonic() < deadline and (step := workload.next()) is not None:
            kind, identification_id = step
            try:
                if kind in ("create", "create_invalid"):
                    body = CREATE_BODY if kind == "create" else INVALID_CREATE_BODY
                    response = session.post(base, json=body, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS)
                    if response.status_code == 200:
                        identification_id = response.json()["id"]
                        workload.created(identification_id)
                else:
                    response = session.post(
                        f"{base}/{identification_id}/close", headers=headers, timeout=REQUEST_TIMEOUT_SECONDS
                    )
            except requests.RequestException as error:
                with lock:
                    failures.append(error)
                continue
            with lock:
                results.append(Result(kind, response.status_code, identification_id))

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        for future in [pool.submit(client) for _ in range(CLIENT_THREADS)]:
            future.result()
    return results, failures, time.monotonic() - started
