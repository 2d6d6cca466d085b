from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, ngettext

from identifications.services.events import events_purge


class Command(BaseCommand):
    help = (
        "Delete events older than EVENTS_RETENTION_DAYS (30 by default), with their webhook deliveries and the log of "
        "their attempts, in batches. Safe to run repeatedly (e.g. daily from cron) and alongside the API."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-days", type=int, default=None, help="Override EVENTS_RETENTION_DAYS for this run."
        )
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="Events deleted per transaction (default: 1000)."
        )

    def handle(self, *args, older_than_days, batch_size, **options):
        days = settings.EVENTS_RETENTION_DAYS if older_than_days is None else older_than_days
        if days < 1 or batch_size < 1:
            raise CommandError(gettext("--older-than-days and --batch-size must be at least 1."))
        deleted = events_purge(older_than=timedelta(days=days), batch_size=batch_size)
        message = ngettext("Deleted %(count)d event.", "Deleted %(count)d events.", deleted)
        self.stdout.write(self.style.SUCCESS(message % {"count": deleted}))
