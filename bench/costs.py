"""CPU, wall time and statements per request in-process (bench/inprocess.py's table), on a database of one's own,
without the rest of `make bench`; optionally a cProfile (CPU time) of one request kind.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mine RATELIMIT_CACHE_URL=redis://127.0.0.1:6379/3 \
        .venv/bin/python -m bench.costs [--repeats 300] [--profile create] [--rows 0]

The database is migrated and reused (its bench organization and key are made once); `--rows` seeds that many
identifications first when the table holds fewer (bench/seed.py), for the measurements at 1,000,000 rows.
"""

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

from bench.run import bench_environment

ROOT = Path(__file__).resolve().parent.parent
API_PATH = "/v1/orgs/bench/identifications/identity_document"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument(
        "--profile", default="", help="cProfile one request, by the start of its name: create, close, retrieve, ..."
    )
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database of your own")
    # The bench's own environment (bench/run.py), on the database DATABASE_URL names.
    os.environ.update(bench_environment({"url": os.environ["DATABASE_URL"]}, os.environ.get("RATELIMIT_CACHE_URL", "")))
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)

    import django

    django.setup()
    from django.db import connection

    from bench import inprocess, seed
    from identifications.models import Organization, OrganizationAPIKey
    from identifications.services.organizations import api_key_issue

    organization = Organization.objects.filter(slug=inprocess.BENCH_ORGANIZATION).first()
    if organization is None:
        organization = inprocess.setup_fixtures()["organization"]
    OrganizationAPIKey.objects.filter(organization=organization).delete()
    _, raw_key = api_key_issue(organization=organization, name="costs")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM identifications_identification")
        rows = cursor.fetchone()[0]
        if rows < args.rows:
            organization_ids = inprocess.seed_organizations(100) if Organization.objects.count() < 100 else None
            if organization_ids is None:
                bench = organization.pk
                others = Organization.objects.exclude(pk=bench).order_by("pk").values_list("pk", flat=True)
                organization_ids = [bench, *others]
            seed.seed_identifications(cursor, rows=args.rows - rows, organization_ids=organization_ids)
            cursor.execute("SELECT count(*) FROM identifications_identification")
            rows = cursor.fetchone()[0]
        first = int(time.time() * 1000) % 90_000_000  # distinct document numbers per run
        ids = seed.create_pending(
            cursor, count=args.repeats * 2 + 20, organization_id=organization.pk, actor="costs", first_number=first
        )
    print(f"load {load_average()}, {rows:,} identifications", flush=True)
    if args.profile:
        profile(args, raw_key, ids)
        return 0
    for cost in inprocess.request_costs(raw_key, API_PATH, ids, repeats=args.repeats):
        print(
            f"{cost['name']:<36} wall {cost['wall_ms']:6.2f} ms  CPU {cost['cpu_ms']:6.2f} ms  "
            f"{cost['queries']} statements: {'; '.join(cost['names'])}"
        )
    print(f"load {load_average()}")
    return 0


def profile(args, raw_key: str, ids: list[str]) -> None:
    from bench import inprocess

    requests = inprocess.request_functions(raw_key, API_PATH, ids)
    (request,) = [request for name, request in requests.items() if name.startswith(args.profile)]
    for _ in range(5):
        request()
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(args.repeats):
        request()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    sys.exit(main())
