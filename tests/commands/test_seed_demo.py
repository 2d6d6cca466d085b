import json
import shlex
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from identifications.models import Organization, OrganizationAPIKey

URL = "/v1/orgs/acme/identifications/identity_document"


@pytest.fixture(autouse=True)
def _debug(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)


def run(*args):
    stdout = StringIO()
    call_command("seed_demo", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def field(output: str, label: str) -> str:
    [line] = [line for line in output.splitlines() if line.startswith(label)]
    return line[len(label) :].strip()


def admin_password(output: str) -> str:
    return field(output, "Admin login:").rpartition("password ")[2]


def post(client, raw_key, body=None):
    return client.post(URL, body or {}, content_type="application/json", headers={"Authorization": f"Bearer {raw_key}"})


def test_creates_the_demo_organization_key_and_superuser(client, db):
    output = run()

    organization = Organization.objects.get()
    assert (organization.slug, organization.name) == ("acme", "Acme Bank (demo)")
    assert field(output, "Demo organization:") == "acme"
    raw_key = field(output, "API key (shown once):")
    assert post(client, raw_key).status_code == 200
    assert "http://127.0.0.1:8000/admin/  user admin  password " in output
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert client.login(username="admin", password=admin_password(output))


def test_the_curl_example_is_valid_and_accepted(client, db):
    output = run("--base-url", "http://localhost:9000/")

    [curl] = [line for line in output.splitlines() if line.strip().startswith("curl ")]
    words = shlex.split(curl)
    assert f"http://localhost:9000{URL}" in words
    headers = dict(words[i + 1].split(": ", 1) for i, word in enumerate(words) if word == "-H")
    body = json.loads(words[words.index("-d") + 1])
    assert body["identity_document"]["document_type"] == "NIF"
    token = headers["Authorization"].removeprefix("Bearer ")
    assert token == field(output, "API key (shown once):")
    response = post(client, token, body)
    assert response.status_code == 200, response.content
    assert "Admin login:       http://localhost:9000/admin/" in output


def test_running_twice_keeps_one_organization_and_one_usable_key(client, db):
    first = run()
    second = run()

    assert Organization.objects.count() == 1
    first_key, second_key = field(first, "API key (shown once):"), field(second, "API key (shown once):")
    assert first_key != second_key
    keys = OrganizationAPIKey.objects.filter(name="demo (make run)")
    assert keys.count() == 2
    assert keys.filter(revoked=False).count() == 1
    assert post(client, first_key).status_code == 401
    assert post(client, second_key).status_code == 200


def test_each_run_sets_a_fresh_admin_password(client, db):
    first = admin_password(run())
    second = admin_password(run())

    assert first != second
    assert get_user_model().objects.filter(username="admin").count() == 1
    assert not client.login(username="admin", password=first)
    assert client.login(username="admin", password=second)


def test_admin_password_from_option_or_environment(client, db, monkeypatch):
    run("--admin-password", "from-the-option")
    assert client.login(username="admin", password="from-the-option")

    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "from-the-environment")
    output = run()
    assert admin_password(output) == "from-the-environment"
    assert client.login(username="admin", password="from-the-environment")


def test_promotes_an_existing_user_to_superuser(client, db):
    get_user_model().objects.create_user(username="ops", password="old")

    output = run("--admin-username", "ops")

    user = get_user_model().objects.get(username="ops")
    assert user.is_superuser and user.is_staff
    assert client.login(username="ops", password=admin_password(output))


def test_other_keys_of_the_organization_are_left_alone(db):
    run()
    organization = Organization.objects.get()
    other, _ = OrganizationAPIKey.objects.create_key(organization=organization, name="production")

    run()

    other.refresh_from_db()
    assert not other.revoked


def test_backoffice_user_may_only_view_and_close_identifications(client, db):
    output = run()

    user = get_user_model().objects.get(username="backoffice")
    assert user.is_staff and not user.is_superuser
    assert user.has_perm("identifications.view_identification")
    assert user.has_perm("identifications.close_identification")
    assert not user.has_perm("identifications.change_identification")
    assert not user.has_perm("identifications.add_organizationapikey")
    password = field(output, "Back-office login:").rpartition("password ")[2]
    assert client.login(username="backoffice", password=password)


def test_refuses_to_run_with_debug_off(settings, db):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG=true"):
        run()

    assert not Organization.objects.exists()
    assert not get_user_model().objects.exists()


def test_force_runs_with_debug_off(settings, db):
    settings.DEBUG = False

    run("--force")

    assert Organization.objects.filter(slug="acme").exists()
