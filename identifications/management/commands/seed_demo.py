import json
import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from identifications.demo import SEED_REQUEST_BODY
from identifications.models import Organization, OrganizationAPIKey
from identifications.permissions import APP_LABEL, BACKOFFICE_CODENAMES
from identifications.services.organizations import api_key_issue, api_key_revoke, organization_create

DEMO_ORGANIZATION_NAME = "Acme Bank (demo)"
DEMO_KEY_NAME = "demo (make run)"
BACKOFFICE_USERNAME = "backoffice"


class Command(BaseCommand):
    help = (
        "Prepare a development server (used by `make run`): a demo organization, a fresh API key "
        "(previous demo keys are revoked), a superuser and a back-office staff user with fresh passwords, "
        "and a curl example. Idempotent. Refuses to run with DEBUG off unless --force is given, because it "
        "resets passwords."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", default="acme", help="Slug of the demo organization (default: acme).")
        parser.add_argument("--admin-username", default="admin", help="Superuser to create or update.")
        parser.add_argument(
            "--admin-password",
            help="Superuser password (default: env DEMO_ADMIN_PASSWORD, else a fresh random one each run).",
        )
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the server listens, for the printed URLs.",
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never on a real deployment)."
        )

    def handle(self, *args, org, admin_username, admin_password, base_url, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo resets the demo users' passwords and is meant for development: it runs only with "
                "DEBUG=true (or --force)."
            )
        if admin_username == BACKOFFICE_USERNAME:
            raise CommandError(f"--admin-username cannot be {BACKOFFICE_USERNAME!r}: that is the staff user.")
        base_url = base_url.rstrip("/")
        admin_password = admin_password or os.environ.get("DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        backoffice_password = secrets.token_urlsafe(12)

        with transaction.atomic():
            organization = self._organization(org)
            raw_key = self._fresh_key(organization)
            self._superuser(admin_username, admin_password)
            self._backoffice_user(backoffice_password)

        example = json.dumps(SEED_REQUEST_BODY)
        url = f"{base_url}/v1/orgs/{organization.slug}/identifications/identity_document"
        self.stdout.write(self.style.SUCCESS(f"Demo organization: {organization.slug}"))
        self.stdout.write(f"Admin login:       {base_url}/admin/  user {admin_username}  password {admin_password}")
        self.stdout.write(
            f"Back-office login: {base_url}/admin/  user {BACKOFFICE_USERNAME}  password {backoffice_password}"
        )
        self.stdout.write(f"API key (shown once): {raw_key}")
        self.stdout.write("Try it:")
        self.stdout.write(
            f'  curl -s -X POST {url} -H "Authorization: Bearer {raw_key}" '
            f"-H \"Content-Type: application/json\" -d '{example}'"
        )

    def _organization(self, slug: str) -> Organization:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is not None:
            return organization
        name = DEMO_ORGANIZATION_NAME if slug == "acme" else f"{slug} (demo)"
        return organization_create(slug=slug, name=name)

    def _fresh_key(self, organization: Organization) -> str:
        # A raw key cannot be shown again, so each run revokes the previous demo keys and issues a new one.
        previous = OrganizationAPIKey.objects.filter(organization=organization, name=DEMO_KEY_NAME, revoked=False)
        for prefix in previous.values_list("prefix", flat=True):
            api_key_revoke(prefix=prefix)
        _, raw_key = api_key_issue(organization=organization, name=DEMO_KEY_NAME)
        return raw_key

    def _superuser(self, username: str, password: str) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            get_user_model().objects.create_superuser(username=username, email="", password=password)
            return
        user.is_active = user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()

    def _backoffice_user(self, password: str) -> None:
        """Staff who may see and close identifications in the admin, and nothing else."""
        user, _ = get_user_model().objects.get_or_create(username=BACKOFFICE_USERNAME)
        user.is_active = user.is_staff = True
        user.is_superuser = False
        user.set_password(password)
        user.save()
        user.user_permissions.add(
            *Permission.objects.filter(content_type__app_label=APP_LABEL, codename__in=BACKOFFICE_CODENAMES)
        )
