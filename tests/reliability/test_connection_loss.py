"""A PostgreSQL session killed at a chosen statement of a request (pg_terminate_backend, as a failover or an
administrator does): the request answers 503 and writes nothing, and the next request gets a fresh connection.

In process, so that the failure can be placed exactly: in authentication, which runs before the view, or in the
middle of a transaction. tests/reliability/test_database_faults.py does the same through gunicorn, less precisely.
"""

from collections.abc import Callable
from dataclasses import dataclass

import psycopg
import pytest
from django.db import close_old_connections, connection
from django.test import Client

from identifications.models import Identification, IdentificationEvent
from tests.api.helpers import SEED_BODY, close_url, create_url, errors, post_json
from tests.api.validation_helpers import retrieve_url
from tests.factories import IdentificationFactory, OrganizationFactory, issue_key
from tests.reliability.racing import TRANSACTIONAL


@dataclass
class KillBefore:
    """An execute wrapper that terminates this connection's server process just before the first statement
    containing `fragment`, then lets the statement run into the dead connection."""

    fragment: str
    fired: bool = False

    def __call__(self, execute, sql, params, many, context):
        if not self.fired and self.fragment in sql:
            self.fired = True
            settings = context["connection"].settings_dict
            pid = context["connection"].connection.info.backend_pid
            with psycopg.connect(
                host=settings["HOST"] or "127.0.0.1",
                port=settings["PORT"] or 5432,
                user=settings["USER"],
                password=settings["PASSWORD"] or None,
                dbname=settings["NAME"],
                autocommit=True,
            ) as admin:
                # Waits (up to 5 s) until the process has exited, so the statement really meets a dead session.
                assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()[0]
        return execute(sql, params, many, context)


@pytest.fixture
def tenant():
    organization = OrganizationFactory(slug="acme")
    _, raw_key = issue_key(organization)
    return organization, {"Authorization": f"Bearer {raw_key}"}


def request_with_kill(send: Callable[[], object], fragment: str):
    killer = KillBefore(fragment)
    with connection.execute_wrapper(killer):
        response = send()
    assert killer.fired, f"no statement contained {fragment!r}"
    # What Django's handler does after every request (the test client skips it): the broken connection is
    # discarded, so the next request opens a new one.
    close_old_connections()
    return response


def assert_unavailable(response):
    assert response.status_code == 503, response.content
    assert errors(response) == [
        {"code": "service_unavailable", "message": "The service is temporarily unavailable. Try again shortly."}
    ]
    assert response["Retry-After"] == "5"
    assert response["X-Request-ID"]


@TRANSACTIONAL
def test_connection_lost_while_authenticating_the_api_key_is_503(on_postgres, tenant):
    _, bearer = tenant

    response = request_with_kill(
        lambda: post_json(Client(), create_url(), SEED_BODY, bearer), 'FROM "identifications_organizationapikey"'
    )

    assert_unavailable(response)
    assert not Identification.objects.exists()
    assert post_json(Client(), create_url(), SEED_BODY, bearer).status_code == 200


@TRANSACTIONAL
def test_connection_lost_while_authenticating_the_client_secret_is_503(on_postgres, tenant):
    _, bearer = tenant
    opened = post_json(Client(), create_url(), SEED_BODY, bearer).json()
    holder = {"Authorization": f"Bearer {opened['client_secret']}"}

    response = request_with_kill(lambda: Client().get(retrieve_url(opened["id"]), headers=holder), "client_secret_hash")

    assert_unavailable(response)
    assert Client().get(retrieve_url(opened["id"]), headers=holder).json()["status"] == "PENDING"


@TRANSACTIONAL
def test_connection_lost_between_the_two_inserts_of_a_create_is_503_and_writes_neither(on_postgres, tenant):
    _, bearer = tenant

    response = request_with_kill(
        lambda: post_json(Client(), create_url(), SEED_BODY, bearer),
        'INSERT INTO "identifications_identificationevent"',
    )

    assert_unavailable(response)
    # The identification's INSERT ran, in the transaction the server rolled back when its session died.
    assert not Identification.objects.exists()
    assert not IdentificationEvent.objects.exists()
    assert post_json(Client(), create_url(), SEED_BODY, bearer).status_code == 200
    assert (Identification.objects.count(), IdentificationEvent.objects.count()) == (1, 1)


@TRANSACTIONAL
def test_connection_lost_in_the_middle_of_a_close_is_503_and_leaves_it_pending(on_postgres, tenant):
    organization, bearer = tenant
    identification = IdentificationFactory(organization=organization)

    response = request_with_kill(
        lambda: post_json(Client(), close_url(identification.id), {}, bearer),
        'INSERT INTO "identifications_identificationevent"',
    )

    assert_unavailable(response)
    identification.refresh_from_db()
    assert identification.status == Identification.Status.PENDING
    assert not IdentificationEvent.objects.filter(identification=identification).exists()
    assert post_json(Client(), close_url(identification.id), {}, bearer).status_code == 204
