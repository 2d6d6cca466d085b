"""In-process CPU per webhook delivery of the batch loop, a measure that other load on the machine hardly changes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt_webhooks .venv/bin/python -m bench.webhook_batch_cpu \
        --deliveries 600 [--profile]

A backlog of N `identification.created` deliveries is committed with no worker (tasks kept in memory), then
`webhook_deliveries_send_due` sends them in this process to a keep-alive receiver running in another process (so
its CPU is not counted). Prints CPU (time.process_time) and wall time per delivery; `--profile` adds cProfile's
top functions by cumulative CPU time (the profiler roughly doubles the CPU it reports).
"""

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/webhooks.py's keep-alive receiver, in a process of its own so that its CPU is not counted here.
RECEIVER = """
import threading
from bench.webhooks import Receiver

receiver = Receiver(keep_alive=True)
print(receiver.server.server_address[1], flush=True)
threading.Event().wait()
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=600)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-0123456789-0123456789")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    from bench.webhooks import create_events
    from identifications.models import Organization
    from identifications.services.webhook_delivery import webhook_deliveries_send_due
    from identifications.services.webhooks import webhook_endpoint_create
    from scoring.models import Configuration

    call_command("migrate", verbosity=0)
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        port = int(receiver.stdout.readline())
        organization, _ = Organization.objects.get_or_create(slug="bench-batch-cpu", defaults={"name": "Bench"})
        organization.webhook_endpoints.all().delete()
        in_memory = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
        with override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=True, TASKS=in_memory):
            webhook_endpoint_create(organization=organization, url=f"http://127.0.0.1:{port}/hook")
            create_events(organization, Configuration.objects.get(name="HIGH"), args.deliveries)
            profiler = cProfile.Profile(time.process_time)
            cpu, wall = time.process_time(), time.monotonic()
            if args.profile:
                profiler.enable()
            sent = webhook_deliveries_send_due(time_budget=3600)
            profiler.disable()
            cpu, wall = time.process_time() - cpu, time.monotonic() - wall
        print(f"sent {sent}: {cpu * 1000 / sent:.2f} ms CPU, {wall * 1000 / sent:.2f} ms wall per delivery")
        if args.profile:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        organization.webhook_endpoints.all().delete()
    finally:
        receiver.kill()
        receiver.wait()


if __name__ == "__main__":
    main()
