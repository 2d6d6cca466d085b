"""API_RATE_LIMIT per API key (or per holder's identification): 429 throttled past it, RateLimit-* headers always."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured

from identifications.api.http.throttling import parse_rate
from identifications.models import Identification
from tests.api.helpers import SEED_BODY, create_url, errors, post_json
from tests.api.validation_helpers import retrieve_url
from tests.factories import issue_key

# 20 seconds into a minute: the window ends in 40.
NOW = datetime(2026, 11, 25, 17, 0, 20, tzinfo=UTC)


@pytest.fixture(autouse=True)
def three_per_minute(settings, db):
    settings.API_RATE_LIMIT = "3/minute"
    caches["ratelimit"].clear()  # the production store: Redis shares its counters between tests


def list_(client, headers):
    return client.get(create_url(), headers=headers)


def test_the_request_past_the_limit_is_429_with_retry_after_and_an_errors_response(client, auth):
    with time_machine.travel(NOW, tick=False):
        allowed = [post_json(client, create_url(), SEED_BODY, auth) for _ in range(3)]
        refused = post_json(client, create_url(), SEED_BODY, auth)

    assert [response.status_code for response in allowed] == [200, 200, 200]
    assert [response["RateLimit-Remaining"] for response in allowed] == ["2", "1", "0"]
    assert {(response["RateLimit-Limit"], response["RateLimit-Reset"]) for response in allowed} == {("3", "40")}
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert errors(refused) == [
        {
            "code": "throttled",
            "message": "Too many requests: the limit is 3 per minute. Expected available in 40 seconds.",
        }
    ]
    assert refused["Retry-After"] == "40"
    assert (refused["RateLimit-Limit"], refused["RateLimit-Remaining"], refused["RateLimit-Reset"]) == ("3", "0", "40")
    assert Identification.objects.count() == 3  # the refused request created nothing


def test_reads_and_writes_share_the_budget(client, auth):
    with time_machine.travel(NOW, tick=False):
        responses = [list_(client, auth), post_json(client, create_url(), SEED_BODY, auth), list_(client, auth)]
        refused = list_(client, auth)

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert refused.status_code == 429


def test_each_key_has_its_own_budget(client, auth, organization):
    _, other_key = issue_key(organization, name="second key")
    other = {"Authorization": f"Bearer {other_key}"}

    with time_machine.travel(NOW, tick=False):
        for _ in range(3):
            list_(client, auth)
        exhausted = list_(client, auth)
        fresh = list_(client, other)

    assert exhausted.status_code == 429
    assert fresh.status_code == 200
    assert fresh["RateLimit-Remaining"] == "2"


def test_a_client_secret_is_counted_per_identification(client, auth):
    with time_machine.travel(NOW, tick=False):
        first = post_json(client, create_url(), SEED_BODY, auth).json()
        second = post_json(client, create_url(), SEED_BODY, auth).json()
        reads = [
            client.get(retrieve_url(first["id"]), headers={"Authorization": f"Bearer {first['client_secret']}"})
            for _ in range(4)
        ]
        other = client.get(retrieve_url(second["id"]), headers={"Authorization": f"Bearer {second['client_secret']}"})

    assert [response.status_code for response in reads] == [200, 200, 200, 429]
    assert other.status_code == 200


def test_the_window_resets_when_time_moves_on(client, auth):
    with time_machine.travel(NOW, tick=False):
        for _ in range(3):
            list_(client, auth)
        refused = list_(client, auth)
    with time_machine.travel(NOW + timedelta(seconds=40), tick=False):
        next_window = list_(client, auth)

    assert refused.status_code == 429
    assert next_window.status_code == 200
    assert (next_window["RateLimit-Remaining"], next_window["RateLimit-Reset"]) == ("2", "60")


def test_failed_authentication_spends_nobody_s_budget(client, auth):
    with time_machine.travel(NOW, tick=False):
        unauthenticated = [list_(client, {}) for _ in range(5)]
        ours = list_(client, auth)

    assert {response.status_code for response in unauthenticated} == {401}
    assert "RateLimit-Limit" not in unauthenticated[0]
    assert ours["RateLimit-Remaining"] == "2"


def test_an_unavailable_store_lets_requests_through(client, auth, monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("redis is restarting")

    # Whichever store is configured: the database's one statement, or Redis's INCR and ADD.
    for operation in ("count", "incr", "add"):
        monkeypatch.setattr(caches["ratelimit"], operation, down, raising=False)

    with caplog.at_level(logging.WARNING, logger="identifications.api.http.throttling"):
        responses = [list_(client, auth) for _ in range(5)]

    assert {response.status_code for response in responses} == {200}
    assert "RateLimit-Limit" not in responses[0]
    assert "rate limiter unavailable (ConnectionError): request let through" in caplog.messages


@pytest.mark.parametrize(
    ("value", "limit", "period"), [("600/minute", 600, 60), (" 5 / second ", 5, 1), ("1/day", 1, 86400)]
)
def test_rates_are_read_from_the_setting(value, limit, period):
    rate = parse_rate(value)

    assert (rate.limit, rate.period) == (limit, period)


@pytest.mark.parametrize("value", ["", "600", "600/min", "0/minute", "-1/minute", "ten/minute", "600/minute/2"])
def test_malformed_rates_are_refused_loudly(value):
    with pytest.raises(ImproperlyConfigured, match="API_RATE_LIMIT must look like '600/minute'"):
        parse_rate(value)
