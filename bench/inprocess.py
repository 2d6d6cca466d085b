"""Measurements taken inside the driver's own process (Django set up on the bench database): the admin changelist's
server time and queries through the test client, the queries of the API endpoints, and EXPLAIN of each."""

import re
import secrets
import statistics
import time
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from identifications.models import Organization
from identifications.services.organizations import api_key_issue, organization_create
from scoring.models import Configuration

BENCH_ORGANIZATION = "bench"
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")
# The lines of a plan worth keeping in BENCHMARKS.md: how each table is reached, sorts, and the totals.
PLAN_KEY_LINE = re.compile(r"Scan|Sort|Limit|Aggregate|Gather|Nested Loop|Hash Join|Execution Time|Planning Time")


def setup_fixtures() -> dict:
    organization = organization_create(
        slug=BENCH_ORGANIZATION, name="Bench", default_configuration=Configuration.objects.get(name="MEDIUM")
    )
    api_key, raw_key = api_key_issue(organization=organization, name="bench")
    # Logged in with force_login only; the password is never used.
    admin = get_user_model().objects.create_superuser(
        username="bench-admin", email="", password=secrets.token_urlsafe(24)
    )
    return {"organization": organization, "api_key": api_key, "raw_key": raw_key, "admin": admin}


def seed_organizations(count: int) -> list[int]:
    """The bench organization plus `count - 1` others; all their ids, the bench organization's first."""
    default = Configuration.objects.get(name="MEDIUM")
    Organization.objects.bulk_create(
        Organization(slug=f"seed-{number:03d}", name=f"Seed {number}", default_configuration=default)
        for number in range(1, count)
    )
    bench = Organization.objects.get(slug=BENCH_ORGANIZATION).pk
    others = list(Organization.objects.exclude(pk=bench).order_by("pk").values_list("pk", flat=True))
    return [bench, *others]


def statements(context) -> list[str]:
    return [
        query["sql"]
        for query in context.captured_queries
        if not query["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
    ]


def describe(sql: str) -> str:
    """A short name for a statement: its verb, what it counts or locks, and the tables it reads or writes."""
    verb = sql.split()[0].upper()
    tables = list(dict.fromkeys(re.findall(r'(?:FROM|JOIN|INTO|UPDATE)\s+"?([a-z_]+)"?', sql, re.I)))
    kind = verb
    if verb == "SELECT" and re.match(r"SELECT\s+COUNT\(\*\)", sql, re.I):
        kind = "SELECT COUNT"
    elif verb == "SELECT" and sql.lstrip().upper().startswith("SELECT 1 AS"):
        kind = "SELECT EXISTS"
    if "FOR UPDATE" in sql.upper():
        kind += " FOR UPDATE"
    if verb == "EXPLAIN":
        kind = "EXPLAIN (estimate)"
    return f"{kind} {'+'.join(tables)}".strip()


def explain(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        lines = [row[0] for row in cursor.fetchall()]
    return [line.rstrip() for line in lines if PLAN_KEY_LINE.search(line)]


def timed_get(client: Client, url: str, *, repeats: int, headers=None) -> dict:
    """Median and max server time of `repeats` GETs (after one warm-up), and the statements of one of them."""
    client.get(url, headers=headers or {})
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url, headers=headers or {})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    with CaptureQueriesContext(connection) as context:
        client.get(url, headers=headers or {})
    sqls = statements(context)
    return {
        "median_ms": statistics.median(times),
        "max_ms": max(times),
        "queries": len(sqls),
        "names": [describe(sql) for sql in sqls],
        "sql": sqls,
    }


def admin_client(admin_user) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin_user)
    return client


def admin_changelist(admin_user, views: dict[str, dict], *, repeats: int) -> dict:
    client = admin_client(admin_user)
    base = reverse("admin:identifications_identification_changelist")
    return {
        name: timed_get(client, f"{base}?{urlencode(params)}" if params else base, repeats=repeats)
        for name, params in views.items()
    }


def api_get(raw_key: str, path: str, *, repeats: int) -> dict:
    client = Client(HTTP_HOST="127.0.0.1")
    return timed_get(client, path, repeats=repeats, headers={"Authorization": f"Bearer {raw_key}"})


def identification_sql(measurement: dict) -> list[str]:
    """The statements of a measurement that read identifications (the ones worth an EXPLAIN)."""
    return [sql for sql in measurement["sql"] if '"identifications_identification"' in sql and sql.startswith("SELECT")]


def per_request_cost(name: str, request, *, repeats: int) -> dict:
    """Wall and CPU time of one request handled in this process (no HTTP, no other client), and its statements.

    CPU time is what this process spent (Python: middleware, DRF, validation, ORM, serialization); it hardly
    depends on what else the machine runs, unlike wall time, which also waits for the database and the scheduler.
    """
    for _ in range(5):
        request()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        request()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    with CaptureQueriesContext(connection) as context:
        request()
    sqls = statements(context)
    return {
        "name": name,
        "wall_ms": wall / repeats * 1000,
        "cpu_ms": cpu / repeats * 1000,
        "queries": len(sqls),
        "names": [describe(sql) for sql in sqls],
    }


def request_costs(raw_key: str, api_path: str, pending_ids: list[str], *, repeats: int) -> list[dict]:
    requests = request_functions(raw_key, api_path, pending_ids)
    return [per_request_cost(name, request, repeats=repeats) for name, request in requests.items()]


def request_functions(raw_key: str, api_path: str, pending_ids: list[str]) -> dict:
    """The requests of the in-process table, by name: each call sends one (close consumes one pending id)."""
    import itertools
    import json

    client = Client(HTTP_HOST="127.0.0.1")
    auth = {"Authorization": f"Bearer {raw_key}"}
    body = json.dumps({
        "name": "James", "last_name": "Smith",
        "identity_document": {"document_number": "12345678Z", "document_type": "NIF", "country": "ES"},
        "configuration_name": "HIGH", "expires_in": "P7D", "scoring": {"provider": "INTERNAL"},
    })  # fmt: skip
    ids = iter(pending_ids)
    retrieve_ids = itertools.cycle(pending_ids[:50])

    def ok(response, status=200):
        assert response.status_code == status, (response.status_code, response.content[:300])

    return {
        "framework ceiling (constant JSON)": lambda: ok(client.get("/bench/constant")),
        "framework+db ceiling (create's 4 statements)": lambda: ok(client.post("/bench/insert")),
        "create": lambda: ok(client.post(api_path, body, content_type="application/json", headers=auth)),
        "close": lambda: ok(client.generic("POST", f"{api_path}/{next(ids)}/close", headers=auth), 204),
        "retrieve": lambda: ok(client.get(f"{api_path}/{next(retrieve_ids)}", headers=auth)),
        "list first page": lambda: ok(client.get(f"{api_path}?limit=25", headers=auth)),
    }


def explain_rolled_back(sql: str) -> list[str]:
    """EXPLAIN ANALYZE of a statement that writes, inside a transaction that is rolled back."""
    from django.db import transaction

    lines = []
    with transaction.atomic():
        lines = explain(sql)
        transaction.set_rollback(True)
    return lines


def explain_create_inserts(raw_key: str, api_path: str) -> dict[str, list[str]]:
    """The plans of create's INSERTs, with the buffers and WAL each one touches: captured from a create run in
    a transaction that is rolled back, then run again under EXPLAIN (ANALYZE, BUFFERS, WAL), rolled back too."""
    import json

    from django.db import transaction

    client = Client(HTTP_HOST="127.0.0.1")
    body = json.dumps({"name": "James", "identity_document": {"document_number": "12345678Z", "document_type": "NIF"}})
    with transaction.atomic(), CaptureQueriesContext(connection) as context:
        response = client.post(
            api_path, body, content_type="application/json", headers={"Authorization": f"Bearer {raw_key}"}
        )
        assert response.status_code == 200, response.content[:300]
        transaction.set_rollback(True)
    plans = {}
    for sql in statements(context):
        if sql.startswith("INSERT"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, WAL) {sql}")
                plans[describe(sql)] = [row[0] for row in cursor.fetchall()]
                transaction.set_rollback(True)
    return plans
