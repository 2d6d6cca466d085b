"""GET .../identity_document: one organization's identifications, newest first, filtered and cursor-paginated."""

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine

from identifications.models import DocumentType, Identification, IdentificationEvent
from scoring.models import Configuration
from tests.api.helpers import SEED_BODY, create_url, error_fields, errors, post_json
from tests.factories import IdentificationFactory, OrganizationFactory, issue_key
from tests.rate_limit import rate_limited

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
Status = Identification.Status


def list_url(org="acme"):
    return create_url(org)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def get_list(client, auth, **params):
    response = client.get(list_url(), params, headers=auth)
    assert response.status_code == 200, response.content
    return response.json()


def ids(body):
    return [row["id"] for row in body["results"]]


def newest_first(identifications):
    return [str(i.id) for i in sorted(identifications, key=lambda i: (i.created_at, i.id), reverse=True)]


def follow(client, auth, url):
    response = client.get(url, headers=auth)
    assert response.status_code == 200, response.content
    return response.json()


def bulk_rows(organization, created_ats, *, start=0):
    """Identifications inserted in one statement: one per created_at, unexpired at NOW."""
    nif = DocumentType.objects.get(code="NIF")
    high = Configuration.objects.get(name="HIGH")
    rows = [
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
            expires_at=NOW + timedelta(days=30),
        )
        for n, created_at in enumerate(created_ats)
    ]
    return Identification.objects.bulk_create(rows)


def test_lists_only_our_organizations_rows(client, auth, organization):
    ours = [IdentificationFactory(organization=organization) for _ in range(2)]
    globex = OrganizationFactory(slug="globex")
    theirs = [IdentificationFactory(organization=globex) for _ in range(3)]

    body = get_list(client, auth)

    assert sorted(ids(body)) == sorted(str(i.id) for i in ours)
    assert not {str(i.id) for i in theirs} & set(ids(body))
    # And their key sees only theirs.
    _, raw = issue_key(globex)
    response = client.get(list_url("globex"), headers={"Authorization": f"Bearer {raw}"})
    assert sorted(ids(response.json())) == sorted(str(i.id) for i in theirs)


def test_empty_list(client, auth):
    assert get_list(client, auth) == {"next": None, "previous": None, "results": []}


def test_another_organizations_path_is_401(client, auth):
    IdentificationFactory(organization=OrganizationFactory(slug="globex"))

    response = client.get(list_url("globex"), headers=auth)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert [entry["code"] for entry in errors(response)] == ["authentication_failed"]


def test_without_credentials_is_401(client, organization):
    response = client.get(list_url())

    assert response.status_code == 401
    assert [entry["code"] for entry in errors(response)] == ["not_authenticated"]


def test_newest_first_with_ties_broken_by_id_descending(client, auth, organization):
    rows = [
        IdentificationFactory(organization=organization, created_at=NOW - timedelta(hours=3)),
        IdentificationFactory(organization=organization, created_at=NOW - timedelta(hours=1)),
        IdentificationFactory(organization=organization, created_at=NOW - timedelta(hours=2)),
        IdentificationFactory(organization=organization, created_at=NOW - timedelta(hours=2)),
        IdentificationFactory(organization=organization, created_at=NOW - timedelta(hours=2)),
    ]

    body = get_list(client, auth)

    assert ids(body) == newest_first(rows)
    assert ids(body)[0] == str(rows[1].id)
    assert ids(body)[-1] == str(rows[0].id)


def test_each_row_is_shaped_as_retrieve(client, auth, organization):
    identification = IdentificationFactory(
        organization=organization,
        created_at=NOW - timedelta(hours=1),
        attempts_used=1,
        result={"score": 40, "passed": False, "checks": []},
    )

    [row] = get_list(client, auth)["results"]

    assert row == client.get(f"{list_url()}/{identification.id}", headers=auth).json()
    assert row == {
        "id": str(identification.id),
        "status": "PENDING",
        "name": "James",
        "last_name": "Smith",
        "identity_document": {
            "document_number": identification.document_number,
            "document_type": "NIF",
            "country": "ES",
        },
        "configuration_name": "HIGH",
        "scoring": {"provider": "INTERNAL"},
        "created_at": "2026-11-25T16:00:00Z",
        "expires_at": "2026-12-02T16:00:00Z",
        "attempts": {"used": 1, "max": 5, "processing": False},
        "result": {"score": 40, "passed": False, "checks": []},
        "updated_at": "2026-11-25T16:00:00Z",
        "closed_at": None,
        "close_reason": None,
        "redacted_at": None,
    }


# Filters -------------------------------------------------------------------------------------------------------


@pytest.fixture
def one_of_each_status(organization):
    """One identification per status, plus a PENDING one past its expiry: {label: Identification}."""
    rows = {
        status: IdentificationFactory(organization=organization, status=status, created_at=NOW - timedelta(days=n))
        for n, status in enumerate(Status.values, start=1)
    }
    rows["overdue"] = IdentificationFactory(
        organization=organization,
        status=Status.PENDING,
        created_at=NOW - timedelta(days=8),
        expires_at=NOW - timedelta(seconds=1),
    )
    return rows


@pytest.mark.parametrize("status", [Status.VERIFIED, Status.REJECTED, Status.CLOSED])
def test_status_filter_is_exact(client, auth, one_of_each_status, status):
    body = get_list(client, auth, status=status)

    assert ids(body) == [str(one_of_each_status[status].id)]


def test_status_pending_excludes_pending_rows_past_expiry(client, auth, one_of_each_status):
    body = get_list(client, auth, status="PENDING")

    assert ids(body) == [str(one_of_each_status[Status.PENDING].id)]
    assert [row["status"] for row in body["results"]] == ["PENDING"]


def test_status_expired_includes_pending_rows_past_expiry_and_persists_them(client, auth, one_of_each_status):
    overdue = one_of_each_status["overdue"]

    body = get_list(client, auth, status="EXPIRED")

    assert ids(body) == [str(one_of_each_status[Status.EXPIRED].id), str(overdue.id)]
    assert [row["status"] for row in body["results"]] == ["EXPIRED", "EXPIRED"]
    overdue.refresh_from_db()
    assert overdue.status == Status.EXPIRED
    event = IdentificationEvent.objects.get(identification=overdue)
    assert (event.from_status, event.to_status, event.actor_type) == ("PENDING", "EXPIRED", "SYSTEM")


def test_unfiltered_list_shows_and_persists_pending_rows_past_expiry(client, auth, one_of_each_status):
    overdue = one_of_each_status["overdue"]

    body = get_list(client, auth)

    assert len(body["results"]) == 6
    statuses = {row["id"]: row["status"] for row in body["results"]}
    assert statuses[str(overdue.id)] == "EXPIRED"
    assert statuses[str(one_of_each_status[Status.PENDING].id)] == "PENDING"
    overdue.refresh_from_db()
    assert overdue.status == Status.EXPIRED
    assert IdentificationEvent.objects.filter(identification=overdue).count() == 1
    # Listing again writes nothing more.
    get_list(client, auth)
    assert IdentificationEvent.objects.count() == 1


@pytest.fixture
def hourly(organization):
    """Three identifications, at 10:00, 11:00 and 12:00 UTC."""
    return [
        IdentificationFactory(organization=organization, created_at=datetime(2026, 11, 25, hour, tzinfo=UTC))
        for hour in (10, 11, 12)
    ]


def test_created_after_is_inclusive(client, auth, hourly):
    body = get_list(client, auth, created_after="2026-11-25T11:00:00Z")

    assert ids(body) == [str(hourly[2].id), str(hourly[1].id)]


def test_created_after_with_an_offset(client, auth, hourly):
    # 12:00+01:00 is 11:00 UTC.
    body = get_list(client, auth, created_after="2026-11-25T12:00:00+01:00")

    assert ids(body) == [str(hourly[2].id), str(hourly[1].id)]


def test_created_before_is_exclusive(client, auth, hourly):
    body = get_list(client, auth, created_before="2026-11-25T11:00:00Z")

    assert ids(body) == [str(hourly[0].id)]


def test_created_after_and_before_together(client, auth, hourly):
    body = get_list(client, auth, created_after="2026-11-25T10:00:00Z", created_before="2026-11-25T12:00:00Z")

    assert ids(body) == [str(hourly[1].id), str(hourly[0].id)]


@pytest.mark.parametrize("query", ["1234-5678 z", "12345678z", " 12345678Z ", "12345678Z"])
def test_document_number_is_matched_after_normalisation(client, auth, organization, query):
    match = IdentificationFactory(organization=organization, document_number="12345678Z")
    IdentificationFactory(organization=organization, document_number="87654321X")
    IdentificationFactory(organization=organization, document_number="123456789Z")
    IdentificationFactory(organization=OrganizationFactory(slug="globex"), document_number="12345678Z")

    body = get_list(client, auth, document_number=query)

    assert ids(body) == [str(match.id)]


def test_document_number_is_exact_not_a_prefix(client, auth, organization):
    IdentificationFactory(organization=organization, document_number="12345678Z")

    assert get_list(client, auth, document_number="1234")["results"] == []


def test_filters_combine(client, auth, organization):
    wanted = IdentificationFactory(
        organization=organization, document_number="12345678Z", created_at=NOW - timedelta(hours=1)
    )
    IdentificationFactory(
        organization=organization,
        document_number="12345678Z",
        status=Status.CLOSED,
        created_at=NOW - timedelta(hours=1),
    )
    IdentificationFactory(organization=organization, document_number="12345678Z", created_at=NOW - timedelta(days=2))

    body = get_list(
        client,
        auth,
        status="PENDING",
        document_number="12345678-z",
        created_after=(NOW - timedelta(days=1)).isoformat(),
    )

    assert ids(body) == [str(wanted.id)]


# Page size -----------------------------------------------------------------------------------------------------


def test_default_page_size_is_25(client, auth, organization):
    rows = bulk_rows(organization, [NOW - timedelta(seconds=n) for n in range(26)])

    body = get_list(client, auth)

    assert ids(body) == newest_first(rows)[:25]
    assert body["next"] is not None
    assert body["previous"] is None


@pytest.mark.parametrize("limit", [1, 100])
def test_limit_bounds_are_accepted(client, auth, organization, limit):
    rows = bulk_rows(organization, [NOW - timedelta(seconds=n) for n in range(101)])

    body = get_list(client, auth, limit=limit)

    assert ids(body) == newest_first(rows)[:limit]
    assert body["next"] is not None


# Invalid parameters --------------------------------------------------------------------------------------------


def crafted_cursor(querystring: str) -> str:
    return base64.b64encode(querystring.encode()).decode()


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"status": "pending"}, "status", "invalid_choice"),
        ({"status": "DONE"}, "status", "invalid_choice"),
        ({"created_after": "yesterday"}, "created_after", "invalid"),
        ({"created_after": "2026-13-01T00:00:00Z"}, "created_after", "invalid"),
        ({"created_before": "25/11/2026"}, "created_before", "invalid"),
        (
            {"created_after": "2026-11-25T10:00:00Z", "created_before": "2026-11-25T10:00:00Z"},
            "created_before",
            "invalid",
        ),
        (
            {"created_after": "2026-11-25T11:00:00Z", "created_before": "2026-11-25T10:00:00Z"},
            "created_before",
            "invalid",
        ),
        ({"document_number": "1" * 41}, "document_number", "max_length"),
        ({"document_number": "1234\x005678"}, "document_number", "control_characters_not_allowed"),
        ({"limit": "0"}, "limit", "min_value"),
        ({"limit": "101"}, "limit", "max_value"),
        ({"limit": "-1"}, "limit", "min_value"),
        ({"limit": "abc"}, "limit", "invalid"),
        ({"limit": "1.5"}, "limit", "invalid"),
        ({"cursor": "garbage"}, "cursor", "invalid"),
        ({"cursor": crafted_cursor("o=-1")}, "cursor", "invalid"),
        ({"cursor": crafted_cursor("r=yes")}, "cursor", "invalid"),
        ({"cursor": "x" * 501}, "cursor", "max_length"),
        ({"page": "2"}, "page", "unknown_field"),
        ({"Status": "PENDING"}, "Status", "unknown_field"),
        ({"ordering": "created_at"}, "ordering", "unknown_field"),
        ({"offset": "10"}, "offset", "unknown_field"),
    ],
)
def test_invalid_parameter_is_400_naming_it(client, auth, organization, params, field, code):
    IdentificationFactory(organization=organization)

    response = client.get(list_url(), params, headers=auth)

    assert response.status_code == 400, response.content
    assert error_fields(response) == {(field, code)}
    assert all(entry["message"] for entry in errors(response))


def test_every_invalid_parameter_is_reported(client, auth, organization):
    response = client.get(list_url(), {"status": "nope", "limit": "0", "pagesize": "5"}, headers=auth)

    assert response.status_code == 400
    assert error_fields(response) == {
        ("status", "invalid_choice"),
        ("limit", "min_value"),
        ("pagesize", "unknown_field"),
    }


def test_invalid_status_message_lists_the_allowed_values(client, auth, organization):
    response = client.get(list_url(), {"status": "DONE"}, headers=auth)

    [entry] = errors(response)
    assert (
        entry["message"]
        == '"DONE" is not a valid choice. Allowed values: PENDING, VERIFIED, REJECTED, CLOSED, EXPIRED.'
    )


@pytest.mark.parametrize("position", ["p=notadate", "p=2026-13-45 00:00:00+00:00"])
def test_cursor_with_a_forged_position_is_400(client, auth, organization, position):
    IdentificationFactory(organization=organization)

    response = client.get(list_url(), {"cursor": crafted_cursor(position)}, headers=auth)

    assert response.status_code == 400, response.content
    assert error_fields(response) == {("cursor", "invalid")}


@pytest.mark.parametrize(
    "position",
    [
        # Past Python's datetime range once in UTC: SQLite's adapter converts to UTC (OverflowError, a 500).
        "p=9999-12-31 23:59:59.999999-23:59",
        "p=0001-01-01 00:00:00+23:59",
        # Without an offset: never one the server wrote.
        "p=2026-11-25 17:00:00",
    ],
)
@pytest.mark.parametrize("reverse", ["0", "1"])
def test_cursor_with_an_extreme_or_naive_position_is_400(client, auth, organization, position, reverse):
    IdentificationFactory(organization=organization)

    response = client.get(list_url(), {"cursor": crafted_cursor(f"r={reverse}&{position}")}, headers=auth)

    assert response.status_code == 400, response.content
    assert error_fields(response) == {("cursor", "invalid")}


@pytest.mark.parametrize("cursor", ["%%%", "!!!!", "AAAA"])
def test_undecodable_cursor_is_400(client, auth, organization, cursor):
    IdentificationFactory(organization=organization)

    response = client.get(list_url(), {"cursor": cursor}, headers=auth)

    assert response.status_code == 400, response.content
    assert error_fields(response) == {("cursor", "invalid")}


@pytest.mark.parametrize("field", ["status", "created_after", "created_before", "document_number", "limit", "cursor"])
def test_empty_parameter_value_is_400_naming_it(client, auth, organization, field):
    IdentificationFactory(organization=organization)

    response = client.get(list_url(), {field: ""}, headers=auth)

    assert response.status_code == 400, response.content
    assert {entry.get("field") for entry in errors(response)} == {field}


def test_client_secret_cannot_list(client, auth):
    created = post_json(client, create_url(), SEED_BODY, auth).json()

    response = client.get(list_url(), headers={"Authorization": f"Bearer {created['client_secret']}"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert created["id"] not in response.content.decode()


# Paging --------------------------------------------------------------------------------------------------------


def tied_timestamps(count, *, newest):
    """`count` created_at values going back from `newest`: the first 1,500 in threes sharing one value (so that
    ties straddle page boundaries), the rest distinct, with microseconds to exercise full precision."""
    values = []
    for n in range(count):
        step = n // 3 if n < 1500 else n
        values.append(newest - timedelta(milliseconds=step, microseconds=7))
    return values


def walk(client, auth, body):
    """Follows `next` from a first page to the end: (ids in order, pages)."""
    seen, pages = ids(body), 1
    while body["next"]:
        body = follow(client, auth, body["next"])
        seen += ids(body)
        pages += 1
    return seen, pages


def test_paging_through_2500_rows_visits_each_once_in_order(client, auth, organization):
    rows = bulk_rows(organization, tied_timestamps(2500, newest=NOW - timedelta(minutes=1)))
    assert len({row.created_at for row in rows}) == 1500

    first = get_list(client, auth, limit=100)
    assert first["previous"] is None
    assert parse_qs(urlparse(first["next"]).query)["limit"] == ["100"]
    seen, pages = walk(client, auth, first)

    assert pages == 25
    assert len(seen) == len(set(seen)) == 2500
    assert seen == newest_first(rows)


def test_next_links_keep_the_filters(client, auth, organization):
    rows = bulk_rows(organization, [NOW - timedelta(seconds=n) for n in range(30)])
    IdentificationFactory(organization=organization, status=Status.CLOSED, created_at=NOW - timedelta(seconds=5))

    first = get_list(client, auth, status="PENDING", limit=10)
    assert parse_qs(urlparse(first["next"]).query)["status"] == ["PENDING"]
    seen, pages = walk(client, auth, first)

    assert pages == 3
    assert seen == newest_first(rows)


def test_pages_are_stable_when_newer_rows_arrive(client, auth, organization):
    originals = bulk_rows(organization, tied_timestamps(350, newest=NOW - timedelta(hours=1)))
    expected = newest_first(originals)

    first = get_list(client, auth, limit=100)
    assert ids(first) == expected[:100]
    newer = bulk_rows(organization, [NOW - timedelta(minutes=n) for n in range(50)], start=1000)
    seen, _ = walk(client, auth, first)

    assert seen == expected
    assert not {str(row.id) for row in newer} & set(seen)
    # A fresh first page shows the newcomers.
    assert ids(get_list(client, auth, limit=50)) == newest_first(newer)


@pytest.mark.parametrize(
    "created_ats",
    [
        pytest.param([NOW - timedelta(seconds=n) for n in range(35)], id="distinct"),
        pytest.param(tied_timestamps(35, newest=NOW), id="ties-across-boundaries"),
    ],
)
def test_previous_goes_back_page_by_page(client, auth, organization, created_ats):
    rows = bulk_rows(organization, created_ats)
    expected = newest_first(rows)

    page1 = get_list(client, auth, limit=10)
    page2 = follow(client, auth, page1["next"])
    page3 = follow(client, auth, page2["next"])
    assert (ids(page1), ids(page2), ids(page3)) == (expected[:10], expected[10:20], expected[20:30])

    back2 = follow(client, auth, page3["previous"])
    back1 = follow(client, auth, back2["previous"])

    assert ids(back2) == expected[10:20]
    assert ids(back1) == expected[:10]
    assert back1["previous"] is None
    assert back1["next"] is not None


# Query budget --------------------------------------------------------------------------------------------------


def test_page_of_5_and_page_of_100_spend_the_same_statements(client, auth, organization, capture_queries):
    bulk_rows(organization, tied_timestamps(150, newest=NOW - timedelta(minutes=1)))
    get_list(client, auth, limit=1)  # caches the key and records its use

    with capture_queries() as small:
        assert len(get_list(client, auth, limit=5)["results"]) == 5
    with capture_queries() as large:
        assert len(get_list(client, auth, limit=100)["results"]) == 100

    # 1. SELECT one page (+1 row to know whether there is a next page) of identifications JOIN their document type
    #    and configuration, ORDER BY created_at DESC, id DESC
    # The API key comes from its cache (read again at most every API_KEY_CACHE_SECONDS).
    assert small.verbs == large.verbs == rate_limited(["SELECT"]), large.statements
    page_select = large.statements[-1]
    assert 'FROM "identifications_identification"' in page_select
    assert '"identifications_documenttype"' in page_select
    assert '"scoring_configuration"' in page_select
    assert "LIMIT 101" in page_select
    assert "LIMIT 6" in small.statements[-1]


def test_following_next_spends_the_same_statements(client, auth, organization, capture_queries):
    bulk_rows(organization, tied_timestamps(30, newest=NOW - timedelta(minutes=1)))
    first = get_list(client, auth, limit=10)

    with capture_queries() as queries:
        follow(client, auth, first["next"])

    # 1. SELECT the page after the cursor's position (the API key comes from its cache)
    assert queries.verbs == rate_limited(["SELECT"]), queries.statements
