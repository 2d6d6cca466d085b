import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, ngettext

from identifications.services.attempt_scoring import attempts_sweep
from identifications.services.webhooks import webhook_deliveries_sweep


class Command(BaseCommand):
    help = (
        "Re-queue the background work whose task was lost: webhook deliveries and scoring attempts that are overdue "
        "and held by no live worker (a worker was killed mid-task, or a process died between its commit and the "
        "enqueue). Run it every minute (cron, a systemd timer) or with --every beside the workers; safe to run on "
        "many machines at once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=float, default=0, help="Keep running, sweeping every this many seconds (default: once)."
        )

    def handle(self, *args, every, **options):
        if every < 0:
            raise CommandError(gettext("--every must not be negative."))
        while True:
            deliveries = webhook_deliveries_sweep()
            self.stdout.write(
                ngettext("Re-queued %(count)d webhook delivery.", "Re-queued %(count)d webhook deliveries.", deliveries)
                % {"count": deliveries}
            )
            attempts = attempts_sweep()
            self.stdout.write(
                ngettext("Re-queued %(count)d scoring attempt.", "Re-queued %(count)d scoring attempts.", attempts)
                % {"count": attempts}
            )
            if not every:
                return
            time.sleep(every)
