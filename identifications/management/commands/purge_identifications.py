from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from identifications.actors import Actor
from identifications.management.commands._durations import parse_positive_duration
from identifications.services.redaction import identifications_due_for_purge, identifications_purge

COMMAND_NAME = "purge_identifications"


class Command(BaseCommand):
    help = (
        "Redact the personal data of identifications that have been CLOSED, EXPIRED, VERIFIED or REJECTED for "
        "longer than the retention period (counted from their last change, the move into that status). "
        "The rows, their statuses and their audit trail stay. Safe to run repeatedly (e.g. daily from cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            required=True,
            metavar="DURATION",
            help="Retention period as an ISO-8601 duration, e.g. P90D.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Identification ids read per query (default: 500); each redaction is its own transaction.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only count the identifications due.")

    def handle(self, *args, older_than, batch_size, dry_run, **options):
        now = timezone.now()
        try:
            retention = parse_positive_duration(older_than, now=now)
        except ValueError as error:
            raise CommandError(f"--older-than: {error}") from None
        if batch_size < 1:
            raise CommandError(gettext("--batch-size must be at least 1."))
        if dry_run:
            due = identifications_due_for_purge(older_than=retention, now=now).count()
            message = ngettext(
                "Would redact %(count)d identifications terminal for longer than %(older_than)s.",
                "Would redact %(count)d identifications terminal for longer than %(older_than)s.",
                due,
            )
            self.stdout.write(message % {"count": due, "older_than": older_than})
            return
        redacted = identifications_purge(
            older_than=retention,
            actor=Actor.command(COMMAND_NAME),
            reason=f"Retention period {older_than} passed.",
            batch_size=batch_size,
            now=now,
        )
        message = ngettext("Redacted %(count)d identifications.", "Redacted %(count)d identifications.", redacted)
        self.stdout.write(self.style.SUCCESS(message % {"count": redacted}))
