"""Closes racing for one identification: exactly one wins. Real threads, real PostgreSQL connections."""

import pytest
from django.test import Client

from identifications.models import Identification, IdentificationEvent
from tests.api.helpers import close_url, errors, post_json
from tests.factories import IdentificationFactory, OrganizationFactory, issue_key
from tests.reliability.racing import race, values

# Each thread holds its own PostgreSQL session: 32 of them stay well under the default max_connections (100).
THREADS = 32


# serialized_rollback: the factories need the seeded document types and configurations, which another
# transactional test's flush may have removed.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_closes_have_exactly_one_winner(on_postgres):
    organization = OrganizationFactory(slug="acme")
    _, raw_key = issue_key(organization)
    identification = IdentificationFactory(organization=organization)

    def close():
        response = post_json(Client(), close_url(identification.id), {}, {"Authorization": f"Bearer {raw_key}"})
        return response.status_code, errors(response)[0]["code"] if response.status_code != 204 else None

    outcomes = values(race([close] * THREADS))

    assert sorted(outcomes, key=str) == [(204, None)] + [(409, "identification_not_open")] * (THREADS - 1)
    assert Identification.objects.get(pk=identification.pk).status == Identification.Status.CLOSED
    assert IdentificationEvent.objects.filter(identification=identification).count() == 1
    assert IdentificationEvent.objects.filter(identification=identification, to_status="CLOSED").count() == 1
