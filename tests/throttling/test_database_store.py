"""The default store of the rate limiter: a database table every app-server process reads and writes.

The suite's settings point the limiter at process memory (the database store's statements would be counted by the
API's query-budget tests); these tests use the production store directly.
"""

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection

from identifications.api.http.throttling import RateLimitDatabaseCache
from tests.api.helpers import create_url
from tests.reliability.racing import race, values

PRODUCTION_STORE = {
    "BACKEND": "identifications.api.http.throttling.RateLimitDatabaseCache",
    "LOCATION": "ratelimit_cache",
    "OPTIONS": {"MAX_ENTRIES": 100_000},
}
NOW = datetime(2026, 11, 25, 17, 0, 20, tzinfo=UTC)
THREADS, INCREMENTS = 12, 10
ROOT = Path(__file__).resolve().parents[2]


def store():
    """A new, independent cache object, as another app-server process would have."""
    return RateLimitDatabaseCache("ratelimit_cache", {})


def ratelimit_setting(**env) -> dict:
    """CACHES["ratelimit"] as config/settings.py computes it from `env` (in a fresh interpreter)."""
    environment = {key: value for key, value in os.environ.items() if key != "RATELIMIT_CACHE_URL"}
    environment.update(env, DEBUG="true")
    script = "import json, config.settings as s; print(json.dumps(s.CACHES['ratelimit']))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_settings_use_the_database_store_unless_redis_is_configured(db):
    assert ratelimit_setting() == PRODUCTION_STORE
    assert ratelimit_setting(RATELIMIT_CACHE_URL="redis://127.0.0.1:6379/1") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }
    assert "ratelimit_cache" in connection.introspection.table_names()  # created by the migration


def test_two_independent_stores_share_one_counter(db):
    key = f"test:{uuid.uuid4()}"
    first, second = store(), store()

    assert first.add(key, 1, timeout=60) is True
    assert second.add(key, 1, timeout=60) is False  # the other process sees the window already counted
    assert second.incr(key) == 2
    assert first.incr(key) == 3
    assert second.get(key) == 3


def test_incr_keeps_the_counter_s_expiry(db):
    key = f"test:{uuid.uuid4()}"
    with time_machine.travel(NOW, tick=False):
        store().add(key, 1, timeout=10)
        store().incr(key)
    with time_machine.travel(NOW + timedelta(seconds=11), tick=False):
        assert store().get(key) is None
        with pytest.raises(ValueError, match="not found"):
            store().incr(key)


def test_the_api_limits_through_the_database_store(client, api_key, auth, settings):
    settings.CACHES = {**settings.CACHES, "ratelimit": PRODUCTION_STORE}
    settings.API_RATE_LIMIT = "2/minute"
    window = int(NOW.timestamp() // 60)

    with time_machine.travel(NOW, tick=False):
        statuses = [client.get(create_url(), headers=auth).status_code for _ in range(3)]
        counted = store().get(f"ratelimit:key:{api_key[0].prefix}:60:{window}")

    assert statuses == [200, 200, 429]
    assert counted == 3  # in the table, where every other process reads it


def test_a_counted_request_costs_two_statements_on_the_database_store(client, auth, settings, capture_queries):
    settings.CACHES = {**settings.CACHES, "ratelimit": PRODUCTION_STORE}
    with time_machine.travel(NOW, tick=False):
        client.get(create_url(), headers=auth)  # the window's first request creates the counter
        with capture_queries() as queries:
            client.get(create_url(), headers=auth)

    counter = [sql for sql in queries.statements if "ratelimit_cache" in sql]
    # SELECT the counter (FOR UPDATE on PostgreSQL), UPDATE it
    assert [sql.split()[0] for sql in counter] == ["SELECT", "UPDATE"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_from_separate_connections_are_all_counted(on_postgres):
    key = f"test:{uuid.uuid4()}"
    store().add(key, 0, timeout=60)

    def increment_many():
        own = store()  # each thread: its own cache object and its own database connection
        return [own.incr(key) for _ in range(INCREMENTS)]

    seen = [value for values_of_thread in values(race([increment_many] * THREADS)) for value in values_of_thread]

    # Atomic increments: every value from 1 to N handed out exactly once, and the total is N.
    assert sorted(seen) == list(range(1, THREADS * INCREMENTS + 1))
    assert store().get(key) == THREADS * INCREMENTS
