"""How many gunicorn workers: short create rounds at 8 connections with WEB_CONCURRENCY 3, 5 and 8, alternating.

    .venv/bin/python -m bench.workers --database bench_perf --api-key <a key of the `bench` organization>
        [--counts 3 5 8] [--rounds 3] [--duration 5]

Runs against a database that `make bench` (or bench/seed.py) prepared; gunicorn with config/gunicorn.conf.py and
only WEB_CONCURRENCY changed, Redis as the rate-limit store when RATELIMIT_CACHE_URL is set. Prints one line per
round and the median per worker count (bench/NOTES.md, "Worker count").
"""

import argparse
import os
import secrets
import statistics
import sys
from pathlib import Path

from bench import loadgen
from bench.run import API_PATH, OUT, bench_database, bench_environment, log


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="bench")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--counts", type=int, nargs="+", default=[3, 5, 8])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)

    OUT.mkdir(parents=True, exist_ok=True)
    db = bench_database(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/", args.database)
    env = {**os.environ, **bench_environment(db)}
    results: dict[int, list[loadgen.Result]] = {count: [] for count in args.counts}
    run_number = 40 + secrets.randbelow(50)
    for number in range(args.rounds):
        for count in args.counts:
            server = loadgen.Server(
                env={**env, "WEB_CONCURRENCY": str(count)}, workers=count, worker_class="sync", threads=1,
                log_path=OUT / "gunicorn-workers.log",
            )  # fmt: skip
            server.start()
            try:
                run_number += 1
                key_env = {"BENCH_API_KEY": args.api_key, "BENCH_RUN_NUMBER": str(run_number)}
                loadgen.wrk(
                    name="warm-up", base_url=server.base_url, script="create.lua", path=API_PATH, connections=8,
                    duration=2, env=key_env,
                )  # fmt: skip
                run_number += 1
                key_env["BENCH_RUN_NUMBER"] = str(run_number)
                result = loadgen.wrk(
                    name=f"create, {count} workers", base_url=server.base_url, script="create.lua", path=API_PATH,
                    connections=args.connections, duration=args.duration, env=key_env,
                )  # fmt: skip
            finally:
                server.stop()
            results[count].append(result)
            log(
                f"round {number + 1} workers={count}: {result.rps:7.1f} req/s  p50 {result.p50_ms:6.2f} ms  "
                f"p99 {result.p99_ms:7.2f} ms  non-2xx {result.non_2xx}  load {os.getloadavg()[0]:.1f}"
            )
    print(f"\ncreate at {args.connections} connections, median of {args.rounds} alternating rounds:")
    for count, rounds in results.items():
        print(
            f"  WEB_CONCURRENCY={count}: {statistics.median(r.rps for r in rounds):7.1f} req/s  "
            f"p50 {statistics.median(r.p50_ms for r in rounds):6.2f} ms  "
            f"p99 {statistics.median(r.p99_ms for r in rounds):7.2f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
