"""`make bench`: the API under load on PostgreSQL, next to its ceilings, on an empty and on a 1,000,000-row table.

    .venv/bin/python -m bench.run [--duration 5] [--rows 1000000] [--output BENCHMARKS.md]

1. A dedicated `bench` database (dropped and created again) on the server of DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432/), migrated; wrk and GNU time are installed with apt-get when missing.
2. gunicorn serves config.wsgi with bench.settings (the production settings plus the ceiling views of
   bench/ceiling.py), DEBUG=false, on 127.0.0.1 only.
3. Near-empty table: create, close, retrieve and the ceilings (constant JSON view, the same INSERTs without
   validation, pgbench with the same INSERTs) at 1, 8 and 32 connections; the admin changelist's queries.
4. 1,000,000 identifications (and their creation events) over 100 organizations, all statuses, a year of dates:
   create, retrieve and list again; the admin changelist in-process (time, query count); EXPLAIN of each query.
   1,000,000 public events (one per identification): the events list's first page.
5. Webhooks: a burst of deliveries to a local receiver with two `db_worker` processes (deliveries per second), then
   single events while they idle (commit-to-receipt p50/p99), bench/webhooks.py.
6. `manage.py expire_identifications` over 1,000,000 due rows under /usr/bin/time -v (wall time, peak RSS).
7. A results table on stdout, bench/out/results.json, and BENCHMARKS.md.

The deployment measured is the documented one (README, "Deploying"): gunicorn with config/gunicorn.conf.py (its
worker count unless --workers), PostgreSQL, and the rate limiter in Redis (RATELIMIT_CACHE_URL, a Redis database of
its own that is emptied first; redis-server is installed and started when missing), behind nginx serving the shipped
site (deploy/nginx/) with TLS (a throwaway self-signed certificate, bench/proxy.py): wrk talks HTTPS to nginx. Then
the worker paths: webhook deliveries, validate's latency and OCR scoring (bench/worker_paths.py)."""

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from bench import loadgen, report

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/"
API_PATH = "/v1/orgs/bench/identifications/identity_document"
CONNECTIONS = (1, 8, 32)
CEILING = "framework+db ceiling (create's 4 statements)"
ROUNDS = 5


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", "5")))
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", "1000000")))
    parser.add_argument("--organizations", type=int, default=100)
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "bench"))
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("BENCH_WORKERS", "0")) or None,
        help="gunicorn workers (default: config/gunicorn.conf.py's own count, as deployed)",
    )
    parser.add_argument("--worker-class", default=os.environ.get("BENCH_WORKER_CLASS", "sync"))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "2")))
    parser.add_argument("--admin-repeats", type=int, default=10)
    parser.add_argument("--cost-repeats", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="Alternating 3 s rounds behind the targets.")
    parser.add_argument("--webhook-events", type=int, default=1500, help="Deliveries in the webhook burst.")
    parser.add_argument("--webhook-workers", type=int, default=2)
    parser.add_argument("--webhook-trickle", type=int, default=100, help="Single events timed commit-to-receipt.")
    parser.add_argument(
        "--ratelimit-cache-url",
        default=os.environ.get("BENCH_RATELIMIT_CACHE_URL", "redis://127.0.0.1:6379/11"),
        help="The rate limiter's store (emptied first); '' for the database fallback.",
    )
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="Write the output again from bench/out/results.json, measure nothing.",
    )
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# Setup ----------------------------------------------------------------------------------------------------------


def ensure_tool(executable: str, package: str) -> None:
    if shutil.which(executable) or Path(executable).exists():
        return
    log(f"installing {package} with apt-get")
    install = ["apt-get", "install", "-y", "-qq", package]
    if subprocess.run(install, check=False, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(install, check=True)


def ensure_redis(url: str) -> None:
    """Redis for the rate limiter, as deployed: installed and started when missing, its database emptied."""
    if not url.startswith("redis://"):
        return
    ensure_tool("redis-server", "redis-server")
    if subprocess.run(["redis-cli", "ping"], capture_output=True, check=False).returncode != 0:
        log("starting redis-server")
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--save", ""], check=True)
        for _ in range(50):
            if subprocess.run(["redis-cli", "ping"], capture_output=True, check=False).returncode == 0:
                break
            time.sleep(0.1)
    number = urlsplit(url).path.lstrip("/") or "0"
    subprocess.run(["redis-cli", "-n", number, "flushdb"], capture_output=True, check=True)


def bench_database(url: str, name: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(f"make bench needs PostgreSQL; DATABASE_URL is {parts.scheme}://...")
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
        "password": parts.password or "",
        "name": name,
        "maintenance": (parts.path.lstrip("/") or "postgres") if (parts.path.lstrip("/") != name) else "postgres",
        "url": urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", "")),
        "shown_url": urlunsplit((parts.scheme, f"{parts.username or 'postgres'}@{netloc}", f"/{name}", "", "")),
    }


def recreate_database(db: dict) -> None:
    import psycopg

    with psycopg.connect(
        host=db["host"], port=db["port"], user=db["user"], password=db["password"] or None,
        dbname=db["maintenance"], autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute(f'DROP DATABASE IF EXISTS "{db["name"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db["name"]}"')


def bench_environment(db: dict, ratelimit_cache_url: str = "") -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": db["url"],
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_hex(32),
        "ALLOWED_HOSTS": "127.0.0.1",
        # The in-process driver's test client speaks plain HTTP; through nginx every request is HTTPS anyway.
        "SECURE_SSL_REDIRECT": "false",
        # nginx in front (bench/proxy.py), as deployed (deploy/idservice.env.example).
        "TRUSTED_PROXY_COUNT": "1",
        # Persistent connections, the default (CONN_MAX_AGE=0, one connection per request, is measured as a variant).
        "CONN_MAX_AGE": os.environ.get("BENCH_CONN_MAX_AGE", "60"),
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO"),
        "RATELIMIT_CACHE_URL": ratelimit_cache_url,
    }


def manage(env: dict, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**os.environ, **env}, check=True,
        capture_output=capture, text=True,
    )  # fmt: skip


# Phases ---------------------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args, db, env, fixtures, server):
        self.args, self.db, self.env, self.fixtures, self.server = args, db, env, fixtures, server
        self.results = {"load": [], "admin": {}, "api": {}, "explain": {}, "commands": {}}
        self.create_run = 10  # the two leading digits of the document numbers a create run sends
        self.pending_numbers = 1  # pre-created rows are numbered B00000001, B00000002, ...

    # wrk runs -----------------------------------------------------------------------------------------------------

    def record(self, group: str, result: loadgen.Result, **extra) -> loadgen.Result:
        row = {"group": group, **result.as_dict(), "load1": os.getloadavg()[0], **extra}
        self.results["load"].append(row)
        log(
            f"{group:<10} {result.name:<34} c={result.connections:<3} {result.rps:8.1f} req/s  "
            f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  non-2xx {result.non_2xx}"
        )
        return result

    def wrk(self, name, script, path, connections, *, duration=None, env=None):
        return loadgen.wrk(
            name=name, base_url=self.server.base_url, script=script, path=path, connections=connections,
            duration=duration or self.args.duration, env=env,
        )  # fmt: skip

    def key_env(self, **extra):
        return {"BENCH_API_KEY": self.fixtures["raw_key"], **extra}

    def create(self, connections, *, duration=None):
        self.create_run += 1
        env = self.key_env(BENCH_RUN_NUMBER=str(self.create_run))
        return self.wrk("create", "create.lua", API_PATH, connections, duration=duration, env=env)

    def close(self, connections, *, expected_rps, duration=None):
        count = int(expected_rps * (duration or self.args.duration) * 2) + 2000
        ids = self.pending_ids(count)
        path = OUT / f"close_ids_c{connections}.txt"
        path.write_text("\n".join(ids) + "\n")
        env = self.key_env(BENCH_IDS_FILE=str(path))
        return self.wrk("close", "close.lua", API_PATH, connections, env=env, duration=duration)

    def retrieve(self, connections, ids_file, *, duration=None):
        env = self.key_env(BENCH_IDS_FILE=str(ids_file))
        return self.wrk("retrieve", "get.lua", API_PATH, connections, env=env, duration=duration)

    def pending_ids(self, count):
        from django.db import connection

        from bench import seed

        with connection.cursor() as cursor:
            ids = seed.create_pending(
                cursor, count=count, organization_id=self.fixtures["organization"].pk, actor="benchids",
                first_number=self.pending_numbers,
            )  # fmt: skip
        self.pending_numbers += count
        return ids

    def warm_up(self, script, path, env=None):
        self.wrk("warm-up", script, path, 8, duration=2, env=env)

    def pgbench(self, connections):
        from django.db import connection

        from bench import seed

        with connection.cursor() as cursor:
            refs = seed.reference_ids(cursor)
        variables = {
            "organization": self.fixtures["organization"].pk,
            "document_type": refs["nif"],
            "configuration": refs["high"],
        }
        return loadgen.pgbench(
            name="pgbench (same INSERTs)", db=self.db, connections=connections, duration=self.args.duration,
            variables=variables, log_dir=OUT,
        )  # fmt: skip

    def table_rows(self) -> int:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM identifications_identification")
            return cursor.fetchone()[0]

    # Phases -------------------------------------------------------------------------------------------------------

    def phase_empty(self):
        log("phase 1: near-empty table")
        group = "empty"
        self.warm_up("get.lua", "/bench/constant")
        self.warm_up("post.lua", "/bench/insert")
        self.create_run += 1
        self.warm_up("create.lua", API_PATH, self.key_env(BENCH_RUN_NUMBER=str(self.create_run)))
        retrieve_ids = OUT / "retrieve_ids_empty.txt"
        retrieve_ids.write_text("\n".join(self.pending_ids(500)) + "\n")
        self.analyze()
        for connections in CONNECTIONS:
            rows = self.table_rows()
            self.record(group, self.wrk("framework ceiling (constant JSON)", "get.lua", "/bench/constant", connections))
            self.record(
                group,
                self.wrk("framework+db ceiling (create's 4 statements)", "post.lua", "/bench/insert", connections),
            )
            self.record(group, self.pgbench(connections))
            created = self.record(group, self.create(connections), table_rows=rows)
            self.record(group, self.close(connections, expected_rps=created.rps))
            if connections in (1, 8):
                self.record(group, self.retrieve(connections, retrieve_ids), table_rows=rows)
        list_path = f"{API_PATH}?limit=25"
        self.record(group, self.wrk("list first page", "get.lua", list_path, 1, env=self.key_env()))
        self.rounds(group)
        self.cpu_split()
        self.variants()
        self.request_costs(group)
        self.admin(group)

    def analyze(self):
        """What autovacuum does soon after a table grows (this machine's server runs with autovacuum off): without
        statistics the planner took close's conditional UPDATE through identification_org_status, walking every
        PENDING row of the organization, instead of the primary key (bench/NOTES.md, "close: where the 29 ms of
        wall time went")."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE identifications_identification, identifications_identificationevent, identifications_event"
            )

    def rounds(self, group):
        """Short runs repeated, alternating, for the comparisons the targets make: other load on the machine moves
        single runs by tens of percent, the median of alternating rounds much less."""
        rounds = self.results.setdefault("rounds", {})
        retrieve_ids = OUT / f"retrieve_ids_rounds_{group}.txt"
        retrieve_ids.write_text("\n".join(self.pending_ids(500)) + "\n")
        if group == "empty":
            self.analyze()
        for number in range(self.args.rounds):
            ceiling = self.wrk(CEILING, "post.lua", "/bench/insert", 8, duration=3)
            rounds.setdefault(f"{group} ceiling c=8", []).append(ceiling.as_dict())
            rounds.setdefault(f"{group} create c=8", []).append(self.create(8, duration=3).as_dict())
            rounds.setdefault(f"{group} create c=1", []).append(self.create(1, duration=3).as_dict())
            if group == "empty":
                # close and retrieve against the same ceiling round, as the targets compare them (near-empty table)
                close = self.close(8, expected_rps=ceiling.rps, duration=3)
                rounds.setdefault(f"{group} close c=8", []).append(close.as_dict())
                retrieve = self.retrieve(8, retrieve_ids, duration=3)
                rounds.setdefault(f"{group} retrieve c=8", []).append(retrieve.as_dict())
            log(f"round {number + 1}/{self.args.rounds} done")

    def cpu_split(self):
        """The ceiling, create, close and retrieve at 8 connections once more, with each program's CPU per request
        (bench/cpu_split.py): which part of a gap to the ceiling is the application and which the database."""
        from bench import cpu_split

        retrieve_ids = OUT / "retrieve_ids_cpu.txt"
        retrieve_ids.write_text("\n".join(self.pending_ids(500)) + "\n")
        runs = {
            CEILING: lambda: self.wrk(CEILING, "post.lua", "/bench/insert", 8),
            "create": lambda: self.create(8),
            "close": lambda: self.close(8, expected_rps=800),
            "retrieve": lambda: self.retrieve(8, retrieve_ids),
        }
        split = self.results.setdefault("cpu_split", {})
        for name, run in runs.items():
            result, per_program = cpu_split.measure(run)
            split[name] = {"rps": result.rps, "requests": result.requests, "cpu_ms": per_program}
            shown = "  ".join(f"{program} {ms:.2f}" for program, ms in sorted(per_program.items()))
            log(f"cpu split  {name:<44} {result.rps:7.1f} req/s  CPU ms per request: {shown}")

    def variants(self):
        """create at 8 connections with one setting changed each, on a second gunicorn: what each one costs."""
        variants = {
            "create, rate limiter in the database (no RATELIMIT_CACHE_URL)": ({"RATELIMIT_CACHE_URL": ""}, ()),
            "create, CONN_MAX_AGE=0 (a connection per request)": ({"CONN_MAX_AGE": "0"}, ()),
            "create, gunicorn --max-requests 1000 (the old recycling)": ({}, ("--max-requests", "1000")),
        }
        for name, (changed, extra_args) in variants.items():
            server = loadgen.Server(
                env={**self.server.env, **changed}, workers=self.args.workers, worker_class=self.args.worker_class,
                threads=self.args.threads, log_path=OUT / "gunicorn.log", extra_args=extra_args,
            )  # fmt: skip
            server.start()
            try:
                self.create_run += 1
                env = self.key_env(BENCH_RUN_NUMBER=str(self.create_run))
                loadgen.wrk(
                    name="warm-up", base_url=server.base_url, script="create.lua", path=API_PATH, connections=8,
                    duration=2, env=env,
                )  # fmt: skip
                self.create_run += 1
                env = self.key_env(BENCH_RUN_NUMBER=str(self.create_run))
                result = loadgen.wrk(
                    name=name, base_url=server.base_url, script="create.lua", path=API_PATH, connections=8,
                    duration=self.args.duration, env=env,
                )  # fmt: skip
                setting = " ".join([*(f"{key}={value}" for key, value in changed.items()), *extra_args])
                self.record("variant", result, setting=setting)
            finally:
                server.stop()

    def request_costs(self, group):
        from bench import inprocess

        repeats = self.args.cost_repeats
        ids = self.pending_ids(repeats + 10)
        costs = inprocess.request_costs(self.fixtures["raw_key"], API_PATH, ids, repeats=repeats)
        self.results.setdefault("costs", {})[group] = costs
        for name, plan in inprocess.explain_create_inserts(self.fixtures["raw_key"], API_PATH).items():
            self.results["explain"][f"create's {name}, {group} table"] = {"sql": "", "plan": plan}
        for cost in costs:
            log(f"in-process {cost['name']:<34} wall {cost['wall_ms']:6.2f} ms  CPU {cost['cpu_ms']:6.2f} ms  "
                f"{cost['queries']} statements")  # fmt: skip

    def phase_million(self):
        from django.db import connection

        from bench import inprocess, seed

        log(f"phase 2: seeding {self.args.rows:,} identifications over {self.args.organizations} organizations")
        organization_ids = inprocess.seed_organizations(self.args.organizations)
        with connection.cursor() as cursor:
            timings = seed.seed_identifications(cursor, rows=self.args.rows, organization_ids=organization_ids)
        self.results["seed"] = {"rows": self.args.rows, "organizations": self.args.organizations, **timings}
        log(f"seeded in {sum(timings.values()):.1f} s ({timings})")
        group = "1M"
        rows = self.table_rows()
        self.results["seed"]["table_rows"] = rows
        retrieve_ids = OUT / "retrieve_ids_million.txt"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM identifications_identification WHERE organization_id = %s ORDER BY random() LIMIT 500",
                [self.fixtures["organization"].pk],
            )
            retrieve_ids.write_text("\n".join(str(row[0]) for row in cursor.fetchall()) + "\n")
        self.create_run += 1
        self.warm_up("create.lua", API_PATH, self.key_env(BENCH_RUN_NUMBER=str(self.create_run)))
        for connections in (1, 8):
            self.record(group, self.create(connections), table_rows=rows)
            self.record(group, self.retrieve(connections, retrieve_ids), table_rows=rows)
        first_page, deep_page = self.list_paths()
        self.record(group, self.wrk("list first page", "get.lua", first_page, 1, env=self.key_env()))
        self.record(group, self.wrk("list deep cursor page", "get.lua", deep_page, 1, env=self.key_env()))
        self.rounds(group)
        self.request_costs(group)
        self.api_queries(first_page, deep_page, retrieve_ids)
        self.admin(group)
        self.events_list()

    def events_list(self):
        """GET /events' first page with a million public events in the table (one per seeded identification)."""
        from django.db import connection

        from bench import inprocess, seed

        with connection.cursor() as cursor:
            timings = seed.seed_events(cursor)
        self.results["seed"]["events"] = timings
        log(f"seeded {timings['rows']:,} public events in {timings['insert_s'] + timings['indexes_vacuum_s']:.1f} s")
        path = f"/v1/orgs/{inprocess.BENCH_ORGANIZATION}/events?limit=25"
        self.record("1M", self.wrk("events list first page", "get.lua", path, 1, env=self.key_env()))
        measurement = inprocess.api_get(self.fixtures["raw_key"], path, repeats=20)
        self.results["api"]["events list first page"] = {k: v for k, v in measurement.items() if k != "sql"}
        for index, sql in enumerate(s for s in measurement["sql"] if "identifications_event" in s):
            self.results["explain"][f"API events list first page #{index + 1}"] = {
                "sql": sql,
                "plan": inprocess.explain(sql),
            }

    def phase_webhooks(self):
        from bench import webhooks

        log(f"phase: webhooks, {self.args.webhook_events} deliveries, {self.args.webhook_workers} workers")
        self.results["webhooks"] = webhooks.measure(
            events=self.args.webhook_events, workers=self.args.webhook_workers, trickle=self.args.webhook_trickle,
            env=self.env, log=log,
        )  # fmt: skip

    def phase_worker_paths(self):
        """Validate's request latency (store + enqueue) and OCR scoring by a real worker (bench/worker_paths.py)."""
        from bench import worker_paths

        log("phase: worker paths (validate latency, OCR scoring by one db_worker)")
        self.results["worker_paths"] = worker_paths.measure(self, log=log)

    def list_paths(self):
        """The first page and a page ~9,000 rows deep (a cursor at that row's position, as `next` would give)."""
        import base64

        from identifications.models import Identification

        deep_row = (
            Identification.objects.filter(organization=self.fixtures["organization"])
            .order_by("-created_at", "-id")
            .values_list("created_at", flat=True)[9000:9001]
            .get()
        )
        cursor = base64.b64encode(urlencode({"p": str(deep_row)}).encode("ascii")).decode("ascii")
        return f"{API_PATH}?limit=25", f"{API_PATH}?limit=25&cursor={quote(cursor)}"

    def api_queries(self, first_page, deep_page, retrieve_ids):
        from bench import inprocess

        raw_key = self.fixtures["raw_key"]
        some_id = retrieve_ids.read_text().split()[0]
        measured = {
            "list first page": inprocess.api_get(raw_key, first_page, repeats=5),
            "list deep cursor page": inprocess.api_get(raw_key, deep_page, repeats=5),
            "list status=VERIFIED": inprocess.api_get(raw_key, f"{API_PATH}?status=VERIFIED&limit=25", repeats=5),
            "retrieve": inprocess.api_get(raw_key, f"{API_PATH}/{some_id}", repeats=5),
        }
        for name, measurement in measured.items():
            self.results["api"][name] = {key: value for key, value in measurement.items() if key != "sql"}
            for index, sql in enumerate(inprocess.identification_sql(measurement)):
                self.results["explain"][f"API {name} #{index + 1}"] = {"sql": sql, "plan": inprocess.explain(sql)}

    def admin(self, group):
        from bench import inprocess
        from identifications.models import Identification

        self.analyze()  # the planner then knows how many rows match

        sample = (
            Identification.objects.filter(document_number__isnull=False).order_by("created_at")
            .values_list("document_number", flat=True)[:1].get()
        )  # fmt: skip
        views = {
            "unfiltered": {},
            "status=PENDING": {"status__exact": "PENDING"},
            "status=REJECTED": {"status__exact": "REJECTED"},
            "search exact document number": {"q": sample},
            "organization=bench": {"organization": "bench"},
        }
        measured = inprocess.admin_changelist(self.fixtures["admin"], views, repeats=self.args.admin_repeats)
        self.results["admin"][group] = {
            name: {key: value for key, value in m.items() if key != "sql"} for name, m in measured.items()
        }
        for name, m in measured.items():
            log(f"admin {group:<6} {name:<30} median {m['median_ms']:7.1f} ms  max {m['max_ms']:7.1f} ms  "
                f"{m['queries']} queries")  # fmt: skip
            if group == "1M":
                for index, sql in enumerate(inprocess.identification_sql(m)):
                    self.results["explain"][f"admin {name} #{index + 1}"] = {"sql": sql, "plan": inprocess.explain(sql)}

    def phase_expiry(self):
        from django.db import connection

        from bench import seed
        from identifications.models import Organization

        log(f"phase 3: expire_identifications over {self.args.rows:,} due rows")
        with connection.cursor() as cursor:
            seed.truncate_identifications(cursor)
            organization_ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
            timings = seed.seed_identifications(
                cursor, rows=self.args.rows, organization_ids=organization_ids, all_due=True, with_events=False
            )
        log(f"seeded {self.args.rows:,} due rows in {sum(timings.values()):.1f} s")
        self.explain_expiry_batch()
        wal_before = self.wal_written()
        load_before = os.getloadavg()[0]
        command = ["/usr/bin/time", "-v", sys.executable, "manage.py", "expire_identifications"]
        completed = subprocess.run(
            command, cwd=ROOT, env={**os.environ, **self.env}, capture_output=True, text=True, timeout=1800, check=True
        )
        usage = parse_time_v(completed.stderr)
        wal_records, wal_bytes = (after - before for after, before in zip(self.wal_written(), wal_before, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FILTER (WHERE status = 'EXPIRED'), count(*) FROM identifications_identification"
            )
            expired, total = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM identifications_identificationevent WHERE to_status = 'EXPIRED'")
            events = cursor.fetchone()[0]
        self.results["expiry"] = {
            "due_rows": self.args.rows,
            "expired_rows": expired,
            "table_rows": total,
            "expired_events": events,
            "wall_s": usage["wall_s"],
            "cpu_s": usage["user_s"] + usage["system_s"],
            "max_rss_mb": usage["max_rss_kb"] / 1024,
            "load1_before": load_before,
            "load1_after": os.getloadavg()[0],
            # The whole server's WAL over the run (pg_stat_wal): the command's, plus whatever else wrote meanwhile.
            "wal_records_per_row": wal_records / max(expired, 1),
            "wal_bytes_per_row": wal_bytes / max(expired, 1),
            "output": completed.stdout.strip().splitlines()[-1:],
            "command": "/usr/bin/time -v .venv/bin/python manage.py expire_identifications",
        }
        log(
            f"expiry: {expired:,} expired in {usage['wall_s']:.1f} s, peak RSS {usage['max_rss_kb'] / 1024:.0f} MB, "
            f"{wal_records / max(expired, 1):.1f} WAL records and {wal_bytes / max(expired, 1):.0f} bytes per row"
        )

    @staticmethod
    def wal_written() -> tuple[int, int]:
        """WAL records and bytes the server has written since its statistics were reset."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT wal_records, wal_bytes FROM pg_stat_wal")
            records, written = cursor.fetchone()
        return int(records), int(written)

    def explain_expiry_batch(self):
        """The plan of one batch of the expiry (captured from the service, run again under EXPLAIN, rolled back)."""
        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from bench import inprocess
        from identifications.actors import Actor
        from identifications.services import expiry_batches, lifecycle

        class Rollback(Exception):
            pass

        now = timezone.now()
        try:
            with transaction.atomic(), CaptureQueriesContext(connection) as context:
                # The first range a worker claims, then its batch statement, as the command runs them.
                claimed = expiry_batches.DueRanges(now=now, batch_size=1000).claim()
                if claimed is None:
                    return
                lifecycle._expire_batch_in_one_statement(
                    actor=Actor.command("expire_identifications"), now=now, batch_size=1000,
                    after=claimed.after, until=claimed.until,
                )  # fmt: skip
                raise Rollback
        except Rollback:
            pass
        batch = next(sql for sql in inprocess.statements(context) if sql.lstrip().startswith("WITH"))
        self.results["explain"]["expire_identifications: one batch of 1000"] = {
            "sql": batch,
            "plan": inprocess.explain_rolled_back(batch),
        }


def server_workers() -> int:
    """The worker count config/gunicorn.conf.py chooses here (WEB_CONCURRENCY, else 2 x CPUs + 1, at most 8)."""
    import runpy

    return runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))["workers"]


def parse_time_v(stderr: str) -> dict:
    values = {}
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith("User time (seconds)"):
            values["user_s"] = float(line.rsplit(" ", 1)[-1])
        elif line.startswith("System time (seconds)"):
            values["system_s"] = float(line.rsplit(" ", 1)[-1])
        elif line.startswith("Elapsed (wall clock) time"):
            clock = line.rsplit(" ", 1)[-1].split(":")
            seconds = 0.0
            for part in clock:
                seconds = seconds * 60 + float(part)
            values["wall_s"] = seconds
        elif line.startswith("Maximum resident set size"):
            values["max_rss_kb"] = int(line.rsplit(" ", 1)[-1])
    return values


def main(argv=None) -> int:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    if args.report_only:
        results = json.loads((OUT / "results.json").read_text())
        print(report.table(results))
        Path(args.output).write_text(report.markdown(results))
        return 0
    started = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "gunicorn.log").unlink(missing_ok=True)
    ensure_tool("wrk", "wrk")
    ensure_tool("/usr/bin/time", "time")
    ensure_tool("/usr/sbin/nginx", "nginx")
    ensure_redis(args.ratelimit_cache_url)
    db = bench_database(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL, args.database)
    log(f"database {db['shown_url']} (dropped and created again)")
    recreate_database(db)
    env = bench_environment(db, args.ratelimit_cache_url)
    os.environ.update(env)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")

    import django

    django.setup()
    from bench import inprocess

    fixtures = inprocess.setup_fixtures()
    server = loadgen.Server(
        env={**os.environ, **env}, workers=args.workers, worker_class=args.worker_class, threads=args.threads,
        log_path=OUT / "gunicorn.log",
    )  # fmt: skip
    bench = Bench(args, db, env, fixtures, server)
    bench.results["config"] = {
        "duration_s": args.duration,
        "workers": args.workers or server_workers(),
        "ratelimit_store": args.ratelimit_cache_url or "the database",
        "worker_class": args.worker_class,
        "threads": args.threads if args.worker_class == "gthread" else 1,
        "conn_max_age": env["CONN_MAX_AGE"],
        "database": db["shown_url"],
    }
    log(f"gunicorn: {server.command}")
    bench.results["load1_start"] = os.getloadavg()[0]
    server.start()
    try:
        bench.results["commands"]["gunicorn"] = server.command.replace(str(ROOT) + "/", "")
        bench.phase_empty()
        bench.phase_million()
    finally:
        server.stop()
    bench.phase_webhooks()
    bench.phase_worker_paths()
    bench.phase_expiry()
    bench.results["load1_end"] = os.getloadavg()[0]
    bench.results["elapsed_s"] = time.monotonic() - started
    bench.results["environment"] = report.environment(db)
    (OUT / "results.json").write_text(json.dumps(bench.results, indent=2, default=str))
    print(report.table(bench.results))
    Path(args.output).write_text(report.markdown(bench.results))
    log(f"done in {bench.results['elapsed_s']:.0f} s; wrote {args.output} and {OUT / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
