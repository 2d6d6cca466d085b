"""Two closes racing for one identification: exactly one wins. Real threads, real PostgreSQL connections."""

import threading

import pytest
from django.db import connection
from django.test import Client

from identifications.models import Identification, IdentificationEvent
from tests.api.helpers import close_url, post_json
from tests.factories import IdentificationFactory, OrganizationFactory, issue_key

THREADS = 16


@pytest.mark.django_db(transaction=True)
def test_concurrent_closes_have_exactly_one_winner(on_postgres):
    organization = OrganizationFactory(slug="acme")
    _, raw_key = issue_key(organization)
    identification = IdentificationFactory(organization=organization)
    barrier = threading.Barrier(THREADS)
    statuses = []

    def close():
        try:
            barrier.wait()
            response = post_json(Client(), close_url(identification.id), {}, {"Authorization": f"Bearer {raw_key}"})
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=close) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [204] + [409] * (THREADS - 1)
    assert Identification.objects.get(pk=identification.pk).status == Identification.Status.CLOSED
    assert IdentificationEvent.objects.filter(identification=identification, to_status="CLOSED").count() == 1
