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

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError(gettext("--batch-size must be at least 1."))
        expired = services.identifications_expire_due(actor=Actor.command(COMMAND_NAME), batch_size=batch_size)
        message = ngettext("Expired %(count)d identifications.", "Expired %(count)d identifications.", expired)
        self.stdout.write(self.style.SUCCESS(message % {"count": expired}))
