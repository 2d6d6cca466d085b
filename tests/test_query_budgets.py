"""Query budgets: what each endpoint spends, named, and the same at 10 rows as at 200 (no per-row queries).

The budgets that live next to their endpoint's other tests are not repeated here:
- create: tests/api/test_create.py::test_create_spends_two_statements (INSERT identification, INSERT event) and
  ::test_cold_caches_add_one_query_each (+ the key's SELECT and last_used_at UPDATE, + the two reference tables);
- close: tests/api/test_close.py::test_close_spends_two_statements (conditional UPDATE, INSERT event);
- retrieve: tests/api/test_retrieve.py::test_retrieve_with_an_api_key_spends_one_statement and
  ::test_retrieve_with_a_client_secret_spends_one_statement;
- list: tests/api/test_list.py::test_page_of_5_and_page_of_100_spend_the_same_statements and
  ::test_following_next_spends_the_same_statements (unfiltered);
- redact: tests/redaction/test_redact_api.py; idempotency keys:
  tests/idempotency/test_idempotency_keys.py;
- admin changelist, unfiltered:
  tests/admin/test_identification_changelist.py::test_changelist_queries_do_not_grow_with_rows.

This file adds what those leave out: the key cache they all rely on, create/close/retrieve on a fuller table, list
with each filter, the admin changelist filtered and searched (and past the paginator's count limit), the audit trail
changelist, and the expiry command's statements per batch. Statements are counted without transaction control.
Timing is never asserted here; `make bench` measures it (BENCHMARKS.md). The rate limiter counts in the production
store (config/test_settings.py): Redis (no statement) when RATELIMIT_CACHE_URL is set, as in CI, else its database
table, one named upsert before each API request's own statements (tests/rate_limit.py; tested below).
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from identifications.actors import Actor
from identifications.admin.pagination import BoundedCountPaginator
from identifications.models import DocumentType, Identification, IdentificationEvent, OrganizationAPIKey
from identifications.services.lifecycle import identifications_expire_due
from identifications.services.organizations import api_key_revoke
from scoring.models import Configuration
from tests.admin import log_in_superuser
from tests.api.helpers import SEED_BODY, close_url, create_url, post_json
from tests.factories import OrganizationFactory, issue_key
from tests.outbox import CREATION_OUTBOX, TRANSITION_OUTBOX
from tests.rate_limit import COUNTER_TABLE, counts_in_the_database, is_rate_limit_upsert, rate_limited

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
Status = Identification.Status
SIZES = (10, 200)
CHANGELIST = reverse("admin:identifications_identification_changelist")
EVENTS_CHANGELIST = reverse("admin:identifications_identificationevent_changelist")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def rows(organization, count, **fields):
    """`count` identifications in one INSERT, newest first from a minute before NOW, with distinct numbers."""
    nif = DocumentType.objects.get(code="NIF")
    high = Configuration.objects.get(name="HIGH")
    start = Identification.objects.count()
    created = [NOW - timedelta(minutes=1 + n) for n in range(count)]
    return Identification.objects.bulk_create(
        Identification(
            organization=organization,
            name="James",
            last_name="Smith",
            document_type=nif,
            document_number=f"{start + n:08d}Z",
            document_country="ES",
            configuration=high,
            created_at=created_at,
            updated_at=created_at,
            expires_at=fields.get("expires_at") or created_at + timedelta(days=7),
            **{key: value for key, value in fields.items() if key != "expires_at"},
        )
        for n, created_at in enumerate(created)
    )


def clear_identifications():
    IdentificationEvent.objects.all().delete()
    Identification.objects.all().delete()


# The API key cache, which every budget below relies on ---------------------------------------------------------


def test_a_cold_key_costs_one_select_then_none_until_its_cache_expires(client, auth, capture_queries, frozen):
    key_select = 'FROM "identifications_organizationapikey"'
    with capture_queries() as cold:
        assert post_json(client, create_url(), SEED_BODY, auth).status_code == 200
    with capture_queries() as warm:
        assert post_json(client, create_url(), SEED_BODY, auth).status_code == 200
    frozen.shift(timedelta(seconds=6))  # API_KEY_CACHE_SECONDS is 5
    with capture_queries() as expired:
        assert post_json(client, create_url(), SEED_BODY, auth).status_code == 200

    # The key JOIN its organization, once: `get_usable_keys` selects the organization in the same query.
    assert next(sql for sql in cold.statements if key_select in sql).count("JOIN") == 1
    assert sum(key_select in sql for sql in cold.statements) == 1
    assert not [sql for sql in warm.statements if key_select in sql]
    assert sum(key_select in sql for sql in expired.statements) == 1


def test_the_secret_is_checked_on_every_request_even_with_the_key_cached(client, api_key, auth):
    assert post_json(client, create_url(), SEED_BODY, auth).status_code == 200  # caches the row
    forged = {"Authorization": f"Bearer {api_key[0].prefix}.{'x' * 32}"}

    assert post_json(client, create_url(), SEED_BODY, forged).status_code == 401


def test_revoking_stops_the_key_at_once_in_this_process(client, api_key, auth):
    assert post_json(client, create_url(), SEED_BODY, auth).status_code == 200  # caches the row

    api_key_revoke(prefix=api_key[0].prefix)

    assert post_json(client, create_url(), SEED_BODY, auth).status_code == 401


def test_a_key_revoked_by_another_process_stops_within_the_cache_lifetime(client, api_key, auth, frozen):
    assert post_json(client, create_url(), SEED_BODY, auth).status_code == 200  # caches the row
    # Another process revokes it: this process's cache is not told.
    OrganizationAPIKey.objects.filter(pk=api_key[0].pk).update(revoked=True)

    frozen.shift(timedelta(seconds=5, milliseconds=1))

    assert post_json(client, create_url(), SEED_BODY, auth).status_code == 401


def test_a_cached_key_stops_at_its_expiry_date(client, organization, frozen):
    _, raw = issue_key(organization, expiry_date=NOW + timedelta(seconds=2))
    headers = {"Authorization": f"Bearer {raw}"}
    assert post_json(client, create_url(), SEED_BODY, headers).status_code == 200  # caches the row

    frozen.shift(timedelta(seconds=2))

    assert post_json(client, create_url(), SEED_BODY, headers).status_code == 401


# API: the same statements whatever the table holds ---------------------------------------------------------------


def api_statements(client, auth, organization, capture_queries, count, request, **row_fields):
    """The statements of `request(identification)` (the key cached) with `count` rows in the table."""
    clear_identifications()
    made = rows(organization, count, **row_fields)
    warm = rows(organization, 1)[0]
    request(warm)  # caches the key and records its use
    with capture_queries() as queries:
        request(made[count // 2])
    return queries


# The outbox of each transition (tests/outbox.py: one statement fewer on PostgreSQL).
OUTBOX = TRANSITION_OUTBOX


@pytest.mark.parametrize(
    ("name", "request_of", "expected"),
    [
        # UPDATE ... WHERE id, organization, status = PENDING and unexpired; INSERT the CLOSED event; the OUTBOX
        (
            "close",
            lambda client, auth: lambda i: post_json(client, close_url(i.pk), {}, auth),
            ["UPDATE", "INSERT", *OUTBOX],
        ),
        # INSERT the identification; INSERT its creation event; the creation's outbox (INSERT the public event
        # without reading the new row back, SELECT the endpoints)
        (
            "create",
            lambda client, auth: lambda i: post_json(client, create_url(), SEED_BODY, auth),
            ["INSERT", "INSERT", *CREATION_OUTBOX],
        ),
        # SELECT the identification JOIN document type and configuration WHERE organization and id
        ("retrieve", lambda client, auth: lambda i: client.get(f"{create_url()}/{i.pk}", headers=auth), ["SELECT"]),
    ],
)
def test_create_close_and_retrieve_spend_the_same_statements_at_10_and_200_rows(
    client, auth, organization, capture_queries, name, request_of, expected
):
    request = request_of(client, auth)
    verbs = [api_statements(client, auth, organization, capture_queries, size, request).verbs for size in SIZES]

    assert verbs == [rate_limited(expected), rate_limited(expected)], name


LIST_FILTERS = {
    "status=PENDING": ({"status": "PENDING"}, {}),
    "status=CLOSED": ({"status": "CLOSED"}, {"status": Status.CLOSED}),
    # EXPIRED also lists PENDING rows past their expiry (persisting them on the way); here none is left over.
    "status=EXPIRED": ({"status": "EXPIRED"}, {"status": Status.EXPIRED}),
    "created_after and created_before": (
        {"created_after": "2026-11-20T00:00:00Z", "created_before": "2026-11-25T16:58:00Z"},
        {},
    ),
    "document_number": ({"document_number": "0000 0005-z"}, {}),
    "status and limit=100": ({"status": "PENDING", "limit": "100"}, {}),
}


@pytest.mark.parametrize("filters", LIST_FILTERS, ids=list(LIST_FILTERS))
def test_list_with_filters_spends_one_statement_at_10_and_200_rows(
    client, auth, organization, capture_queries, filters
):
    params, row_fields = LIST_FILTERS[filters]

    def request(identification):
        response = client.get(create_url(), params, headers=auth)
        assert response.status_code == 200, response.content
        return response

    statements = [
        api_statements(client, auth, organization, capture_queries, size, request, **row_fields).statements
        for size in SIZES
    ]

    # 1. SELECT one page (+1 row) of the organization's identifications JOIN document type and configuration,
    #    filtered, ORDER BY created_at DESC, id DESC. The key comes from its cache.
    # (After the rate limiter's own statement where it counts in the database: tests/rate_limit.py.)
    for page in statements:
        assert [sql.split()[0] for sql in page] == rate_limited(["SELECT"]), page
        assert 'FROM "identifications_identification"' in page[-1]
        assert '"identifications_documenttype"' in page[-1]
        assert '"scoring_configuration"' in page[-1]
        assert "COUNT(" not in page[-1]


def test_the_rate_limiter_spends_one_named_upsert_on_the_database_and_none_in_redis(
    client, auth, organization, capture_queries
):
    warm = rows(organization, 1)[0]
    client.get(f"{create_url()}/{warm.pk}", headers=auth)  # caches the key and records its use

    with capture_queries() as queries:
        response = client.get(f"{create_url()}/{warm.pk}", headers=auth)

    assert response.status_code == 200
    assert response["RateLimit-Remaining"] == "598"  # counted, twice, in whichever store is configured
    counter = [sql for sql in queries.statements if COUNTER_TABLE in sql]
    if counts_in_the_database():
        assert len(counter) == 1 and is_rate_limit_upsert(counter[0]), counter
    else:
        assert counter == []


def test_a_list_page_persists_expiry_only_for_its_own_due_rows(client, auth, organization, capture_queries):
    """Rows met PENDING past their expiry are expired as the page shows them (2 statements each), so a page costs
    at most its size in writes whatever the table holds; `expire_identifications` keeps such rows rare."""
    rows(organization, 200, status=Status.PENDING, expires_at=NOW - timedelta(seconds=1))
    client.get(create_url(), {"status": "CLOSED"}, headers=auth)  # caches the key (and shows no row)

    with capture_queries() as queries:
        response = client.get(create_url(), {"limit": "5"}, headers=auth)

    assert [row["status"] for row in response.json()["results"]] == ["EXPIRED"] * 5
    assert queries.verbs == rate_limited(["SELECT", *(["UPDATE", "INSERT", *OUTBOX] * 5)])


# Admin changelist: filtered and searched ---------------------------------------------------------------------------


ADMIN_VIEWS = {
    "status": {"status__exact": "PENDING"},
    "organization slug": {"organization": "acme"},
    "document type": {"document_type__id__exact": "DOCUMENT_TYPE"},
    "configuration": {"configuration__id__exact": "CONFIGURATION"},
    "scoring provider": {"scoring_provider__exact": "INTERNAL"},
    "created date": {"created_at__gte": "2026-11-20 00:00:00+00:00", "created_at__lt": "2026-11-26 00:00:00+00:00"},
    "status and organization": {"status__exact": "PENDING", "organization": "acme"},
    "search: exact document number": {"q": "0000-0003 z"},
    "search: id": {"q": "IDENTIFICATION"},
    "search: name": {"q": "james smith"},
}


def admin_statements(client, capture_queries, organization, count, params) -> list[str]:
    clear_identifications()
    made = rows(organization, count)
    concrete = {
        key: {
            "DOCUMENT_TYPE": str(DocumentType.objects.get(code="NIF").pk),
            "CONFIGURATION": str(Configuration.objects.get(name="HIGH").pk),
            "IDENTIFICATION": str(made[0].pk),
        }.get(value, value)
        for key, value in params.items()
    }
    with capture_queries() as queries:
        response = client.get(CHANGELIST, concrete)
    assert response.status_code == 200
    assert response.context["cl"].result_list  # the view shows rows, so the budget covers rendering them
    return queries.statements


def describe(sql: str) -> str:
    tables = ("django_session", "auth_user", "identifications_documenttype", "scoring_configuration")
    for table in tables:
        if f'FROM "{table}"' in sql:
            return table
    if sql.startswith("SELECT COUNT(*)"):
        return "bounded count"
    if 'FROM "identifications_identification"' in sql:
        return "page"
    return sql[:60]


@pytest.mark.parametrize("view", ADMIN_VIEWS, ids=list(ADMIN_VIEWS))
def test_admin_changelist_filtered_or_searched_spends_six_queries_at_10_and_200_rows(client, capture_queries, view):
    log_in_superuser(client)
    organization = OrganizationFactory(slug="acme")

    named = [
        [describe(sql) for sql in admin_statements(client, capture_queries, organization, size, ADMIN_VIEWS[view])]
        for size in SIZES
    ]

    # 1 the session, 2 the user, 3-4 the choices of the document type and configuration filters, 5 the count of
    # matching rows, bounded at COUNT_LIMIT, 6 the page of 50 joined to organization, document type and
    # configuration. Never one query per row, never a COUNT(*) of the whole table.
    expected = [
        "django_session",
        "auth_user",
        "identifications_documenttype",
        "scoring_configuration",
        "bounded count",
        "page",
    ]
    assert named == [expected, expected]


def test_admin_count_is_bounded_by_a_limit_and_the_total_estimated_past_it(client, capture_queries, monkeypatch):
    monkeypatch.setattr(BoundedCountPaginator, "count_limit", 20)
    log_in_superuser(client)
    organization = OrganizationFactory(slug="acme")

    statements = [admin_statements(client, capture_queries, organization, size, {}) for size in (30, 200)]

    for page in statements:
        counts = [sql for sql in page if sql.startswith("SELECT COUNT(*)")]
        # The bounded count reads at most count_limit + 1 rows...
        assert "LIMIT 21" in counts[0]
        # ...and past the limit one more query gives the total: the planner's estimate on PostgreSQL (it reads
        # statistics, not rows), an exact count elsewhere.
        estimate = "EXPLAIN" if connection.vendor == "postgresql" else "SELECT COUNT(*)"
        assert page[page.index(counts[0]) + 1].startswith(estimate)
    assert len(statements[0]) == len(statements[1]) == 7


def test_audit_trail_changelist_spends_the_same_queries_at_10_and_200_rows(client, capture_queries):
    log_in_superuser(client)
    organization = OrganizationFactory(slug="acme")
    counts = []
    for size in SIZES:
        clear_identifications()
        made = rows(organization, size)
        IdentificationEvent.objects.bulk_create(
            IdentificationEvent(
                identification=identification, to_status=Status.PENDING, actor_type="API_KEY", actor="k", created_at=NOW
            )
            for identification in made
        )
        with capture_queries() as queries:
            response = client.get(EVENTS_CHANGELIST, {"to_status__exact": "PENDING"})
        assert response.status_code == 200
        counts.append(queries.statements)

    # 1 the session, 2 the user, 3 the bounded count, 4 the page (the identification link is built from the
    # foreign key column: no join, no query per row).
    assert [len(statements) for statements in counts] == [4, 4], counts[1]


# expire_identifications: statements per batch, not per row ----------------------------------------------------------


@pytest.mark.parametrize(("due", "batch_size"), [(10, 5), (200, 100)])
def test_expiry_spends_the_same_statements_per_batch_whatever_the_batch_holds(capture_queries, due, batch_size):
    organization = OrganizationFactory(slug="acme")
    rows(organization, due, expires_at=NOW - timedelta(seconds=30))

    with capture_queries() as queries:
        expired = identifications_expire_due(actor=Actor.command("expire_identifications"), batch_size=batch_size)

    assert expired == due
    assert IdentificationEvent.objects.filter(to_status=Status.EXPIRED).count() == due
    if connection.vendor == "postgresql":
        # Per batch: SELECT the next range of due keys (index only), then one statement that locks the range's rows,
        # UPDATEs them and INSERTs their audit and public events (no organization here has a webhook endpoint, so
        # nothing more); a last SELECT finds no range.
        batch = ["SELECT", "WITH"]
        assert queries.verbs == [*batch, *batch, "SELECT"], queries.statements
    else:
        # Per batch SELECT the due ids, UPDATE them, INSERT their events, the batch's OUTBOX; a last SELECT finds none.
        batch = ["SELECT", "UPDATE", "INSERT", *OUTBOX]
        assert queries.verbs == [*batch, *batch, "SELECT"]


# --- Validate: store and enqueue, then the worker's scoring ------------------------------------------------------


def test_validate_stores_and_enqueues_in_four_statements(client, auth, database_queue, capture_queries):
    from tests.api.validation_helpers import DECLARED, DEVICE, MATCHING_METADATA, validate_url

    body = post_json(client, create_url(), DECLARED, auth).json()
    headers = {"Authorization": f"Bearer {body['client_secret']}", **DEVICE}

    with capture_queries() as queries:
        response = post_json(client, validate_url(body["id"]), {"evidence_metadata": MATCHING_METADATA}, headers)

    assert response.status_code == 204
    # 1. SELECT the identification by its client secret's hash (authentication), joined with what validate needs
    # 2. UPDATE the identification: attempt_processing, if still open, idle and with the attempts used as read (the
    #    row stays locked until commit: attempts take turns; one processing at a time)
    # 3. INSERT the scoring attempt (processing)
    # 4. INSERT the score_attempt task (django-tasks-db), in the same transaction
    # (and, after authentication, the rate limiter's upsert where the store is the database)
    assert queries.verbs == rate_limited(["SELECT", "UPDATE", "INSERT", "INSERT"], after=1)
    assert "dbtaskresult" in queries.statements[-1]


def test_validate_with_the_api_key_reads_the_row_without_joins(client, auth, database_queue, capture_queries):
    from tests.api.validation_helpers import DECLARED, DEVICE, MATCHING_METADATA, validate_url

    body = post_json(client, create_url(), DECLARED, auth).json()

    with capture_queries() as queries:
        response = post_json(
            client, validate_url(body["id"]), {"evidence_metadata": MATCHING_METADATA}, {**auth, **DEVICE}
        )

    assert response.status_code == 204
    # 1. SELECT the organization's identification, its own row: a 204 needs neither document type nor configuration
    # 2. UPDATE the identification: attempt_processing (as with the client secret, above)
    # 3. INSERT the scoring attempt (processing)
    # 4. INSERT the score_attempt task (django-tasks-db)
    # (the API key comes from its cache; the rate limiter's upsert where the store is the database)
    assert queries.verbs == rate_limited(["SELECT", "UPDATE", "INSERT", "INSERT"], after=0)
    assert " JOIN " not in queries.statements[-4]


def test_the_worker_scores_a_failed_attempt_in_seven_or_eight_statements(client, auth, database_queue, capture_queries):
    from identifications.services.attempt_scoring import attempt_score
    from scoring.models import ScoringAttempt
    from tests.api.validation_helpers import DECLARED, DEVICE, MATCHING_METADATA, validate_url

    body = post_json(client, create_url(), DECLARED, auth).json()
    headers = {"Authorization": f"Bearer {body['client_secret']}", **DEVICE}
    post_json(client, validate_url(body["id"]), {"evidence_metadata": MATCHING_METADATA}, headers)
    attempt = ScoringAttempt.objects.get()

    with capture_queries() as queries:
        assert attempt_score(attempt_id=attempt.pk)

    # 1. UPDATE the attempt: the claim (processing, due, not held) with its lease
    # 2. SELECT the attempt joined with its identification, organization, configuration and document type
    # (INTERNAL scoring: no statement; no evidence to read from storage)
    # 3. SELECT ... FOR UPDATE the identification
    # 4. UPDATE the attempt: scored, under the lease
    # 5. UPDATE the identification: attempts, result, attempt_processing
    # (no audit event: MATCHING_METADATA without evidence stays PENDING under HIGH)
    # 6-. the outbox's identification.attempt_failed (tests/outbox.py)
    assert queries.verbs == ["UPDATE", "SELECT", "SELECT", "UPDATE", "UPDATE", *TRANSITION_OUTBOX]
    assert Identification.objects.get().attempts_used == 1
