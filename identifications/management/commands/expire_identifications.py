from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, ngettext

from identifications import services
from identifications.actors import Actor

COMMAND_NAME = "expire_identifications"


class Command(BaseCommand):
    help = (
        "Mark every PENDING identification past its expiry as EXPIRED, with one audit event each. "
        "Safe to run repeatedly (e.g. from cron) and alongside the API."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="Identifications expired per transaction (default: 1000).",
        )
        # Two: the batches are independent and PostgreSQL does nearly all the work, so a second connection keeps a
        # second core busy (bench/NOTES.md, "Expiry"). SQLite runs one batch at a time whatever this says.
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="Database connections expiring batches side by side (default: 2).",
        )

    def handle(self, *args, batch_size, workers, **options):
        if batch_size < 1:
            raise CommandError(gettext("--batch-size must be at least 1."))
        if workers < 1:
            raise CommandError(gettext("--workers must be at least 1."))
        expired = services.identifications_expire_due(
            actor=Actor.command(COMMAND_NAME), batch_size=batch_size, workers=workers
        )
        message = ngettext("Expired %(count)d identifications.", "Expired %(count)d identifications.", expired)
        self.stdout.write(self.style.SUCCESS(message % {"count": expired}))
