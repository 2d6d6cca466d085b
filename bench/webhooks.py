"""Webhook delivery throughput and commit-to-receipt latency with real `manage.py db_worker` processes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt_webhooks .venv/bin/python -m bench.webhooks \
        --events 1000 --workers 3

Burst: N identifications are created (N `identification.created` events, one delivery each) with no worker
running; then W workers start and the clock runs until a local receiver has every webhook-id (throughput). Trickle:
with the workers running, events are committed one at a time and each one's commit-to-receipt time is measured.
Also checks that every webhook-id arrived at least once and counts duplicates.
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-0123456789-0123456789")
os.environ["WEBHOOKS_ALLOW_PRIVATE_URLS"] = "true"

import django

django.setup()

from datetime import timedelta  # noqa: E402

from django.core.management import call_command  # noqa: E402

from identifications.actors import Actor  # noqa: E402
from identifications.models import Organization, WebhookDelivery  # noqa: E402
from identifications.services import identification_create  # noqa: E402
from identifications.services.webhooks import webhook_endpoint_create  # noqa: E402
from scoring.models import Configuration  # noqa: E402

received: dict[str, list[float]] = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            received.setdefault(self.headers["webhook-id"], []).append(time.monotonic())
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def create_events(organization, count) -> dict[str, float]:
    """{event id: monotonic time just after its transaction committed}"""
    configuration = Configuration.objects.get(name="HIGH")
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


def wait_for(ids, timeout) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with lock:
            if all(i in received for i in ids):
                return True
        time.sleep(0.02)
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--trickle", type=int, default=50)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    organization, _ = Organization.objects.get_or_create(slug="bench-webhooks", defaults={"name": "Bench"})
    organization.webhook_endpoints.all().delete()
    webhook_endpoint_create(organization=organization, url=f"http://127.0.0.1:{server.server_address[1]}/hook")

    burst = create_events(organization, args.events)  # no worker yet: they wait in the queue
    started = time.monotonic()
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.05"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(args.workers)
    ]
    try:
        complete = wait_for(burst, timeout=600)
        elapsed = time.monotonic() - started
        latencies = []
        for _ in range(args.trickle):
            ((event_id, committed_at),) = create_events(organization, 1).items()
            if wait_for([event_id], timeout=30):
                latencies.append(received[event_id][0] - committed_at)
            time.sleep(0.1)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait()
    duplicates = sum(len(times) - 1 for times in received.values())
    pending = WebhookDelivery.objects.filter(endpoint__organization=organization).exclude(status="SUCCEEDED").count()
    print(
        f"burst: {len(burst)} events, {args.workers} workers, all arrived: {complete}, {elapsed:.1f} s "
        f"-> {len(burst) / elapsed:.0f} deliveries/s (includes worker start-up); duplicates: {duplicates}; "
        f"not SUCCEEDED: {pending}"
    )
    if latencies:
        latencies.sort()
        print(
            f"commit-to-receipt over {len(latencies)} single events: "
            f"median {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {latencies[int(len(latencies) * 0.95) - 1] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
