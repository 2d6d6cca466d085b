from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from identifications.models import OrganizationAPIKey
from identifications.services.organizations import APIKeyNotFound, api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key by its prefix (the part before the dot). Revoking is final."

    def add_arguments(self, parser):
        parser.add_argument("prefix", help="The key's prefix, as shown by create_api_key and in the admin.")

    def handle(self, *args, prefix, **options):
        # Only for the message: the service decides, and revoking twice is harmless.
        already_revoked = OrganizationAPIKey.objects.filter(prefix=prefix, revoked=True).exists()
        try:
            api_key = api_key_revoke(prefix=prefix)
        except APIKeyNotFound as error:
            raise CommandError(str(error)) from None
        where = {"prefix": api_key.prefix, "organization": api_key.organization.slug}
        if already_revoked:
            message = gettext("API key %(prefix)s of organization %(organization)s was already revoked.")
            self.stdout.write(self.style.WARNING(message % where))
        else:
            message = gettext("Revoked API key %(prefix)s of organization %(organization)s.")
            self.stdout.write(self.style.SUCCESS(message % where))
