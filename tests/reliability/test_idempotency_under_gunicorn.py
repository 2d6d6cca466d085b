"""Concurrent creates with one Idempotency-Key across gunicorn's worker processes: one row, whatever the timing.

tests/idempotency races threads in one process; here the requests land in four processes with their own
connections, as in production, and only PostgreSQL's unique constraint can decide.
"""

from collections import Counter

import pytest

from tests.reliability.harness import Tenant, http_session, running_gunicorn
from tests.reliability.racing import TRANSACTIONAL, race, values

CONCURRENT = 16
KEYS = 4
WORKERS = 4
BODY = {
    "name": "James",
    "last_name": "Smith",
    "identity_document": {"document_number": "12345678A", "document_type": "NIF"},
    "configuration_name": "HIGH",
}


@pytest.fixture
def tenant(scratch) -> Tenant:
    return scratch.tenant("idempotent")


@TRANSACTIONAL
def test_concurrent_creates_with_one_key_make_one_row_and_replay_it(on_postgres, scratch, tenant, tmp_path):
    with running_gunicorn(scratch.environment(), tmp_path / "gunicorn.log", workers=WORKERS) as gunicorn:
        url = f"{gunicorn.url}/v1/orgs/{tenant.slug}/identifications/identity_document"
        rounds = []
        for round_number in range(KEYS):
            headers = {"Authorization": f"Bearer {tenant.api_key}", "Idempotency-Key": f"create-{round_number}"}

            def create(headers=headers):
                response = http_session().post(url, json=BODY, headers=headers, timeout=30)
                code = response.json()["errors"][0]["code"] if response.status_code >= 400 else None
                return response.status_code, response.headers.get("Idempotent-Replayed"), code, response.content

            rounds.append(values(race([create] * CONCURRENT)))

    with scratch.connect() as db:
        ids = [
            row[0]
            for row in db.execute(
                "SELECT i.id::text FROM identifications_identification i "
                "JOIN identifications_organization o ON o.id = i.organization_id WHERE o.slug = %s",
                [tenant.slug],
            ).fetchall()
        ]
    assert len(ids) == KEYS, "a key made a second row, or none"
    for outcomes in rounds:
        kinds = Counter((status, replayed, code) for status, replayed, code, _ in outcomes)
        assert kinds[(200, None, None)] == 1, kinds
        assert set(kinds) <= {(200, None, None), (200, "true", None), (409, None, "idempotency_key_in_use")}, kinds
        # A replay is the first response byte for byte: the same id (and client secret), not a second identification.
        [original] = [content for status, replayed, _, content in outcomes if status == 200 and replayed is None]
        assert all(content == original for status, _, _, content in outcomes if status == 200)
    print(f"per round: {[Counter((s, r) for s, r, _, _ in outcomes) for outcomes in rounds]}")  # pytest -rP
