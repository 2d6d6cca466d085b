"""API keys: stored only as a hash, never logged, rotatable (two live keys), revocable, expiring."""

import logging
from datetime import UTC, datetime, timedelta
from io import StringIO

import time_machine
from django.core.management import call_command
from django.db import connection

from identifications.models import OrganizationAPIKey
from identifications.services.organizations import api_key_revoke
from tests.api.helpers import create_url, errors
from tests.factories import issue_key

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def list_with(client, raw_key):
    return client.get(create_url(), headers={"Authorization": f"Bearer {raw_key}"})


def test_no_column_of_the_key_table_holds_the_key_or_its_secret(organization):
    key, raw_key = issue_key(organization)
    secret = raw_key.split(".", 1)[1]
    table = connection.ops.quote_name(OrganizationAPIKey._meta.db_table)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()

    assert len(rows) == 1
    for column, value in zip(columns, rows[0], strict=True):
        assert secret not in str(value), f"column {column} holds the key's secret"
    assert secret not in repr(rows) and raw_key not in repr(rows)
    assert key.prefix in repr(rows)  # the non-secret prefix is kept, to name the key


def test_a_data_dump_does_not_hold_the_key(organization):
    _, raw_key = issue_key(organization)
    out = StringIO()

    call_command("dumpdata", "identifications.OrganizationAPIKey", stdout=out)

    assert raw_key.split(".", 1)[1] not in out.getvalue()


def test_issuing_and_using_a_key_logs_its_prefix_only(client, organization, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("django.request", "identifications"):
        caplog.set_level(logging.DEBUG, logger=name)
    printed = StringIO()

    key, raw_key = issue_key(organization)
    call_command("create_api_key", organization.slug, stdout=printed)  # prints its key (shown once), logs none
    used = list_with(client, raw_key)
    forged = list_with(client, f"{key.prefix}.{'x' * 32}")

    assert (used.status_code, forged.status_code) == (200, 401)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert key.prefix in logged
    commanded = printed.getvalue().strip().splitlines()[-1]
    for secret in (raw_key.split(".", 1)[1], commanded.split(".", 1)[1]):
        assert secret not in logged


def test_two_live_keys_both_work_and_revoking_one_leaves_the_other(client, organization):
    old, old_raw = issue_key(organization, name="old")
    _, new_raw = issue_key(organization, name="new")

    both = [list_with(client, old_raw).status_code, list_with(client, new_raw).status_code]
    api_key_revoke(prefix=old.prefix)
    revoked = list_with(client, old_raw)
    remaining = list_with(client, new_raw)

    assert both == [200, 200]
    assert revoked.status_code == 401
    assert errors(revoked)[0]["code"] == "authentication_failed"
    assert remaining.status_code == 200


def test_an_expired_key_is_401(client, organization):
    _, raw_key = issue_key(organization, expiry_date=NOW + timedelta(days=1))

    with time_machine.travel(NOW, tick=False):
        before = list_with(client, raw_key)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        at_expiry = list_with(client, raw_key)

    assert before.status_code == 200
    assert at_expiry.status_code == 401
    assert at_expiry["WWW-Authenticate"] == "Bearer"
    assert errors(at_expiry)[0]["code"] == "authentication_failed"
