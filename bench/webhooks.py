"""Webhook delivery throughput and commit-to-receipt latency with real `manage.py db_worker` processes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt_webhooks .venv/bin/python -m bench.webhooks \
        --events 1000 --workers 2

`make bench` calls `measure` (bench/run.py, phase "webhooks") on its own database. Burst: N identifications are
created (N `identification.created` events, one delivery each) with no worker running; then W workers start and a
local receiver records when each webhook-id arrives. Sustained throughput is counted from the first receipt to the
last (worker start-up excluded; it is reported apart). On PostgreSQL it also reports what the burst cost the
database per delivery: commits (pg_stat_database's xact_commit over the burst, the idle polling of the workers
included) and rows inserted and updated, all tables together; on Linux, the workers' CPU time per delivery from the
first receipt to the last (both workers together, the polling of one waiting for work included). Trickle: with the
workers running and idle, events are committed one at a time and each one's commit-to-receipt time is measured.
Also checks that every webhook-id arrived at least once and counts duplicates.
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Receiver:
    """A local HTTP receiver that answers 204 and records when each webhook-id arrived (monotonic clock). With
    `keep_alive` it speaks HTTP/1.1 and keeps connections open between requests, as a production receiver behind
    any HTTP server does; without it, HTTP/1.0 and a new connection per request."""

    def __init__(self, *, keep_alive: bool = True):
        self.received: dict[str, list[float]] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received.setdefault(self.headers["webhook-id"], []).append(time.monotonic())
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, ids, timeout) -> bool:
        return self._wait(all, ids, timeout, interval=0.005)

    def wait_for_any(self, ids, timeout) -> bool:
        # Polled more often: the burst's first receipt starts its throughput clock.
        return self._wait(any, ids, timeout, interval=0.001)

    def _wait(self, quantifier, ids, timeout, *, interval) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if quantifier(i in self.received for i in ids):
                    return True
            time.sleep(interval)
        return False

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def create_events(organization, configuration, count) -> dict[str, float]:
    """{event id: monotonic time just after its transaction committed}"""
    from identifications.actors import Actor
    from identifications.services import identification_create

    committed = {}
    for _ in range(count):
        identification = identification_create(
            organization=organization,
            actor=Actor.command("bench"),
            configuration=configuration,
            scoring_provider="INTERNAL",
            expires_in=timedelta(days=1),
        )
        committed[identification.public_events.get().public_id] = time.monotonic()
    return committed


DATABASE_COUNTERS = ("xact_commit", "tup_inserted", "tup_updated")


def database_counters() -> dict[str, int] | None:
    """This database's cumulative counters (PostgreSQL only). Backends flush their statistics when they go idle, at
    most once a second: read them a couple of seconds after the work to count."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(DATABASE_COUNTERS)} FROM pg_stat_database WHERE datname = current_database()"
        )
        return dict(zip(DATABASE_COUNTERS, cursor.fetchone(), strict=True))


def cpu_seconds(pids) -> float | None:
    """User + system CPU time the processes have used so far (Linux /proc; None elsewhere)."""
    try:
        total = 0
        for pid in pids:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
        return total / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def percentile(sorted_values, percent):
    index = min(len(sorted_values) - 1, max(0, round(percent / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def measure(
    *, events: int, workers: int, trickle: int, env: dict | None = None, keep_alive: bool = True, log=print
) -> dict:
    """Run the burst and the trickle; the driver's Django settings must allow private webhook URLs."""
    from django.test.utils import override_settings

    from identifications.models import Organization, WebhookDelivery
    from identifications.services.webhooks import webhook_endpoint_create
    from scoring.models import Configuration

    receiver = Receiver(keep_alive=keep_alive)
    organization, _ = Organization.objects.get_or_create(slug="bench-webhooks", defaults={"name": "Bench"})
    organization.webhook_endpoints.all().delete()
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=True):
        webhook_endpoint_create(organization=organization, url=receiver.url)
    configuration = Configuration.objects.get(name="HIGH")

    started = time.monotonic()
    burst = create_events(organization, configuration, events)  # no worker yet: they wait in the queue
    log(f"webhooks: {events} events committed in {time.monotonic() - started:.1f} s; starting {workers} workers")
    worker_env = {**os.environ, **(env or {}), "WEBHOOKS_ALLOW_PRIVATE_URLS": "true"}
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.05"]
    time.sleep(2)  # the driver's own statistics flushed before the first reading
    before = database_counters()
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=worker_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    latencies = []
    try:
        started = time.monotonic()
        # The workers' CPU from their first delivery to the burst's last: start-up (imports) excluded.
        receiver.wait_for_any(burst, timeout=600)
        cpu_at_first = cpu_seconds(process.pid for process in processes)
        with receiver.lock:
            arrived_at_first = sum(event_id in receiver.received for event_id in burst)
        complete = receiver.wait_for(burst, timeout=600)
        cpu_at_last = cpu_seconds(process.pid for process in processes)
        with receiver.lock:
            firsts = sorted(times[0] for event_id, times in receiver.received.items() if event_id in burst)
        sustained = (len(firsts) - 1) / (firsts[-1] - firsts[0]) if len(firsts) > 1 else 0.0
        time.sleep(2)  # the workers go idle (polling an empty queue) and flush their statistics
        after = database_counters()
        for _ in range(trickle):
            ((event_id, committed_at),) = create_events(organization, configuration, 1).items()
            if receiver.wait_for([event_id], timeout=30):
                latencies.append(receiver.received[event_id][0] - committed_at)
            time.sleep(0.05)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        receiver.stop()
    duplicates = sum(len(times) - 1 for times in receiver.received.values())
    pending = WebhookDelivery.objects.filter(endpoint__organization=organization).exclude(status="SUCCEEDED").count()
    latencies.sort()
    result = {
        "events": events,
        "workers": workers,
        "keep_alive": keep_alive,
        "all_arrived": complete,
        "first_receipt_s": (firsts[0] - started) if firsts else None,
        "burst_s": (firsts[-1] - firsts[0]) if firsts else None,
        "deliveries_per_s": sustained,
        "duplicates": duplicates,
        "not_succeeded": pending,
        "trickle": len(latencies),
        "latency_p50_ms": statistics.median(latencies) * 1000 if latencies else None,
        "latency_p99_ms": percentile(latencies, 99) * 1000 if latencies else None,
        "latency_max_ms": latencies[-1] * 1000 if latencies else None,
    }
    if cpu_at_first is not None and cpu_at_last is not None and len(firsts) > arrived_at_first:
        result["worker_cpu_ms_per_delivery"] = (cpu_at_last - cpu_at_first) * 1000 / (len(firsts) - arrived_at_first)
        log(f"webhooks: worker CPU per delivery {result['worker_cpu_ms_per_delivery']:.2f} ms (both workers)")
    if before is not None and after is not None:
        for name in DATABASE_COUNTERS:
            result[f"{name}_per_delivery"] = (after[name] - before[name]) / events
        log(
            "webhooks: per delivery over the burst: "
            + ", ".join(f"{name} {result[f'{name}_per_delivery']:.2f}" for name in DATABASE_COUNTERS)
        )
    log(
        f"webhooks: {workers} workers{'' if keep_alive else ' (receiver without keep-alive)'}, "
        f"{sustained:.0f} deliveries/s sustained (first receipt "
        f"{result['first_receipt_s'] or 0:.1f} s after start), all arrived: {complete}, duplicates {duplicates}; "
        f"commit-to-receipt p50 {result['latency_p50_ms'] or 0:.0f} ms, p99 {result['latency_p99_ms'] or 0:.0f} ms"
    )
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trickle", type=int, default=50)
    parser.add_argument(
        "--no-keep-alive", action="store_true", help="the receiver speaks HTTP/1.0: a new connection per delivery"
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-0123456789-0123456789")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    measure(events=args.events, workers=args.workers, trickle=args.trickle, keep_alive=not args.no_keep_alive)


if __name__ == "__main__":
    main()
