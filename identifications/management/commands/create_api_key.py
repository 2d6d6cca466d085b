from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext

from identifications.management.commands._durations import parse_positive_duration
from identifications.models import Organization, OrganizationAPIKey
from identifications.services.organizations import api_key_issue

DEFAULT_NAME = "manage.py create_api_key"


class Command(BaseCommand):
    help = (
        "Issue an API key for an organization. The raw key is printed once, alone on the last line of "
        "stdout (`... | tail -n1`); only its prefix and a hash are stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The organization's org_id.")
        parser.add_argument("--name", default=DEFAULT_NAME, help=f"What the key is for (default: {DEFAULT_NAME!r}).")
        parser.add_argument(
            "--expires-in",
            metavar="DURATION",
            help="ISO-8601 duration after which the key stops working, e.g. P90D (default: never).",
        )

    def handle(self, *args, slug, name, expires_in, **options):
        max_length = OrganizationAPIKey._meta.get_field("name").max_length
        if not name.strip():
            raise CommandError(gettext("--name must not be empty."))
        if len(name) > max_length:
            message = gettext("--name must be at most %(max_length)d characters.")
            raise CommandError(message % {"max_length": max_length})
        now = timezone.now()
        expiry_date = None
        if expires_in is not None:
            try:
                expiry_date = now + parse_positive_duration(expires_in, now=now)
            except ValueError as error:
                raise CommandError(f"--expires-in: {error}") from None
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(gettext("No organization has the slug %(slug)r.") % {"slug": slug})

        api_key, raw_key = api_key_issue(organization=organization, name=name, expiry_date=expiry_date)

        expires = api_key.expiry_date.isoformat() if api_key.expiry_date else gettext("never")
        issued = gettext("Issued API key %(prefix)s (%(name)s).") % {"prefix": api_key.prefix, "name": api_key.name}
        self.stdout.write(self.style.SUCCESS(issued))
        # Labels padded to one column: "Prefix:       abc123".
        for label, value in (
            (gettext("Prefix:"), api_key.prefix),
            (gettext("Organization:"), organization.slug),
            (gettext("Expires:"), expires),
        ):
            self.stdout.write(f"{label:<14}{value}")
        self.stdout.write(
            self.style.WARNING(gettext("The key is shown once and cannot be recovered; store it now. The key is:"))
        )
        # Last, alone and unstyled, so that scripts can take it with `tail -n1`.
        self.stdout.write(raw_key, style_func=lambda text: text)
