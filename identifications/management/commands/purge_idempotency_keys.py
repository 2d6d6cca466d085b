from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, ngettext

from identifications.api.http.throttling import RateLimitDatabaseStore
from identifications.services.idempotency import idempotency_purge_expired


class Command(BaseCommand):
    help = (
        "Delete idempotency records older than their 24 hours, in batches. Safe to run repeatedly (e.g. hourly "
        "from cron) and alongside the API: a request never replays an expired record anyway. Also deletes the "
        "rate limiter's counters of past windows (its database store; Redis expires its own)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="Records deleted per statement (default: 1000)."
        )

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError(gettext("--batch-size must be at least 1."))
        deleted = idempotency_purge_expired(batch_size=batch_size)
        message = ngettext(
            "Deleted %(count)d expired idempotency records.", "Deleted %(count)d expired idempotency records.", deleted
        )
        self.stdout.write(self.style.SUCCESS(message % {"count": deleted}))
        # The counter table holds one row per credential and window; past windows are never read again.
        RateLimitDatabaseStore.purge_expired()
