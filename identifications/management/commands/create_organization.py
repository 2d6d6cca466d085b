from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from django.utils.translation import gettext

from identifications.services.organizations import organization_create
from scoring.models import Configuration


class Command(BaseCommand):
    help = (
        "Create an organization. SLUG is its org_id in API paths (/v1/orgs/SLUG/...). "
        "Issue it a key afterwards with create_api_key."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The organization's org_id: letters, digits, hyphens and underscores.")
        parser.add_argument("--name", default="", help="Display name (default: the slug).")
        parser.add_argument(
            "--default-configuration",
            metavar="LOW|MEDIUM|HIGH",
            help="Configuration used when a create request names none (default: MEDIUM).",
        )

    def handle(self, *args, slug, name, default_configuration, **options):
        configuration = None
        if default_configuration:
            configuration = Configuration.objects.filter(name=default_configuration).first()
            if configuration is None:
                available = ", ".join(Configuration.objects.values_list("name", flat=True))
                raise CommandError(
                    gettext("Unknown configuration %(name)r. Available configurations: %(available)s.")
                    % {"name": default_configuration, "available": available}
                )
        try:
            organization = organization_create(slug=slug, name=name, default_configuration=configuration)
        except ValidationError as error:
            raise CommandError(
                gettext("Could not create organization %(slug)r: %(problems)s")
                % {"slug": slug, "problems": _describe(error)}
            ) from None
        except IntegrityError:
            # Another process created the same slug between the uniqueness check and the insert.
            raise CommandError(
                gettext("Could not create organization %(slug)r: the slug is already taken.") % {"slug": slug}
            ) from None
        default = organization.default_configuration.name if organization.default_configuration else "MEDIUM"
        self.stdout.write(
            self.style.SUCCESS(
                gettext("Created organization %(slug)s (%(name)s), default configuration %(default)s.")
                % {"slug": organization.slug, "name": organization.name, "default": default}
            )
        )


def _describe(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return " ".join(error.messages)
