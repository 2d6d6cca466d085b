import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from identifications import services
from identifications.actors import Actor
from identifications.errors import IdentificationNotFound, IdentificationNotOpen
from identifications.models import Identification

COMMAND_NAME = "close_identification"


class Command(BaseCommand):
    help = (
        "Close a PENDING identification by its id, as back-office staff would in the admin. "
        "The close, and the reason, are recorded in its audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("identification_id", metavar="UUID", help="The identification's id.")
        parser.add_argument("--reason", default="", help="Why it is closed; kept in the audit trail.")

    def handle(self, *args, identification_id, reason, **options):
        try:
            identification_uuid = uuid.UUID(identification_id)
        except ValueError:
            raise CommandError(gettext("%(id)r is not a valid UUID.") % {"id": identification_id}) from None
        max_length = Identification._meta.get_field("close_reason").max_length
        if len(reason) > max_length:
            message = gettext("--reason must be at most %(max_length)d characters.")
            raise CommandError(message % {"max_length": max_length})
        try:
            services.identification_close(
                identification_id=identification_uuid, actor=Actor.command(COMMAND_NAME), reason=reason
            )
        except IdentificationNotFound:
            raise CommandError(gettext("No identification has the id %(id)s.") % {"id": identification_uuid}) from None
        except IdentificationNotOpen as error:
            raise CommandError(
                gettext("Identification %(id)s is %(status)s; only a PENDING identification can be closed.")
                % {"id": identification_uuid, "status": error.status}
            ) from None
        self.stdout.write(self.style.SUCCESS(gettext("Closed identification %(id)s.") % {"id": identification_uuid}))
