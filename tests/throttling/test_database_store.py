"""The rate limiter's stores, used directly: the database table (the fallback without Redis) and Redis.

Every app-server process must see the same counters, so these count from independent store objects, threads with
their own connections, and separate processes.
"""

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from identifications.api.http.throttling import RateLimitDatabaseStore, RateLimitRedisCache, count_request
from identifications.models import RateLimitCounter
from tests.api.helpers import create_url
from tests.rate_limit import is_rate_limit_upsert
from tests.reliability.racing import TRANSACTIONAL, race, values

DATABASE_STORE = {
    "BACKEND": "identifications.api.http.throttling.RateLimitDatabaseStore",
    "LOCATION": "ratelimit_counter",
}
NOW = datetime(2026, 11, 25, 17, 0, 20, tzinfo=UTC)
THREADS, INCREMENTS = 12, 10
PROCESSES, PROCESS_INCREMENTS = 2, 200
ROOT = Path(__file__).resolve().parents[2]


def store():
    """A new, independent store object, as another app-server process would have."""
    return RateLimitDatabaseStore("ratelimit_counter", {})


def ratelimit_setting(**env) -> dict:
    """CACHES["ratelimit"] as config/settings.py computes it from `env` (in a fresh interpreter)."""
    environment = {key: value for key, value in os.environ.items() if key != "RATELIMIT_CACHE_URL"}
    environment.update(env, DEBUG="true")
    script = "import json, config.settings as s; print(json.dumps(s.CACHES['ratelimit']))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_settings_use_the_database_store_unless_redis_is_configured(db):
    assert ratelimit_setting() == DATABASE_STORE
    assert ratelimit_setting(RATELIMIT_CACHE_URL="redis://127.0.0.1:6379/1") == {
        "BACKEND": "identifications.api.http.throttling.RateLimitRedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }
    assert "ratelimit_counter" in connection.introspection.table_names()  # created by the migration
    assert "ratelimit_cache" not in connection.introspection.table_names()  # the old format's table is gone


def test_two_independent_stores_share_one_counter(db):
    key = f"test:{uuid.uuid4()}"
    first, second = store(), store()

    assert first.count(key, timeout=60) == 1
    assert second.count(key, timeout=60) == 2  # the other process sees the window already counted
    assert first.count(key, timeout=60) == 3
    assert second.get(key) == 3


def test_an_expired_counter_starts_again_and_is_purged(db):
    key = f"test:{uuid.uuid4()}"
    with time_machine.travel(NOW, tick=False):
        store().count(key, timeout=10)
        store().count(key, timeout=10)
        store().count(f"test:{uuid.uuid4()}", timeout=60)
    with time_machine.travel(NOW + timedelta(seconds=11), tick=False):
        assert store().get(key) is None
        assert store().count(key, timeout=10) == 1  # restarted, not 3
    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        call_command("purge_idempotency_keys", stdout=StringIO())
    assert RateLimitCounter.objects.count() == 0


def test_the_api_limits_through_the_database_store(client, api_key, auth, settings):
    settings.CACHES = {**settings.CACHES, "ratelimit": DATABASE_STORE}
    settings.API_RATE_LIMIT = "2/minute"
    window = int(NOW.timestamp() // 60)

    with time_machine.travel(NOW, tick=False):
        statuses = [client.get(create_url(), headers=auth).status_code for _ in range(3)]
        counted = store().get(f"ratelimit:key:{api_key[0].prefix}:60:{window}")

    assert statuses == [200, 200, 429]
    assert counted == 3  # in the table, where every other process reads it


def test_a_counted_request_costs_one_statement_on_the_database_store(client, auth, settings, capture_queries):
    settings.CACHES = {**settings.CACHES, "ratelimit": DATABASE_STORE}
    with time_machine.travel(NOW, tick=False):
        client.get(create_url(), headers=auth)  # the window's first request creates the counter
        with capture_queries() as queries:
            client.get(create_url(), headers=auth)

    counter = [sql for sql in queries.statements if "ratelimit_counter" in sql]
    # INSERT ... ON CONFLICT DO UPDATE ... RETURNING: no SELECT ... FOR UPDATE held across statements
    assert len(counter) == 1 and is_rate_limit_upsert(counter[0]), counter


@TRANSACTIONAL
def test_concurrent_increments_from_separate_connections_are_all_counted(on_postgres):
    key = f"test:{uuid.uuid4()}"

    def increment_many():
        own = store()  # each thread: its own store object and its own database connection
        return [own.count(key, timeout=60) for _ in range(INCREMENTS)]

    seen = [value for values_of_thread in values(race([increment_many] * THREADS)) for value in values_of_thread]

    # Atomic increments: every value from 1 to N handed out exactly once, and the total is N.
    assert sorted(seen) == list(range(1, THREADS * INCREMENTS + 1))
    assert store().get(key) == THREADS * INCREMENTS


COUNT_IN_A_PROCESS = """
import json, sys, django
django.setup()
from identifications.api.http.throttling import RateLimitDatabaseStore
store = RateLimitDatabaseStore("ratelimit_counter", {})
sys.stdin.readline()  # both processes start counting together
print(json.dumps([store.count(sys.argv[1], timeout=60) for _ in range(int(sys.argv[2]))]))
"""


@TRANSACTIONAL
def test_two_processes_counting_together_share_the_limit(on_postgres):
    """Two app servers: separate interpreters, each with its own connection to the test database."""
    key = f"test:{uuid.uuid4()}"
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    environment = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true"}
    environment.pop("RATELIMIT_CACHE_URL", None)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", COUNT_IN_A_PROCESS, key, str(PROCESS_INCREMENTS)],
            cwd=ROOT,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    outputs = [process.communicate(timeout=120) for process in processes]

    assert [process.returncode for process in processes] == [0] * PROCESSES, [err for _, err in outputs]
    seen = [value for out, _ in outputs for value in json.loads(out.strip().splitlines()[-1])]
    assert sorted(seen) == list(range(1, PROCESSES * PROCESS_INCREMENTS + 1))
    assert store().get(key) == PROCESSES * PROCESS_INCREMENTS


@pytest.fixture
def redis_store(settings):
    """The production store, when this run has one (CI and the documented deployment set RATELIMIT_CACHE_URL)."""
    location = os.environ.get("RATELIMIT_CACHE_URL", "")
    if not location.startswith("redis://"):
        pytest.skip("needs Redis (RATELIMIT_CACHE_URL=redis://...)")
    return lambda: RateLimitRedisCache(location, {"KEY_PREFIX": f"test-{uuid.uuid4()}"})


def test_redis_counts_from_independent_clients_share_one_counter(redis_store):
    key = f"test:{uuid.uuid4()}"
    make = redis_store()
    prefix = make.key_prefix
    first, second = (
        RateLimitRedisCache(make._servers[0], {"KEY_PREFIX": prefix}),
        RateLimitRedisCache(make._servers[0], {"KEY_PREFIX": prefix}),
    )

    assert count_request(first, key, timeout=60) == 1
    assert count_request(second, key, timeout=60) == 2
    assert count_request(first, key, timeout=60) == 3
    assert 0 < first._counter_client.ttl(first.make_key(key)) <= 60  # Redis expires the window itself


def test_redis_counts_from_threads_are_all_counted(redis_store):
    key = f"test:{uuid.uuid4()}"
    shared = redis_store()
    location, prefix = shared._servers[0], shared.key_prefix

    def increment_many():
        own = RateLimitRedisCache(location, {"KEY_PREFIX": prefix})
        return [count_request(own, key, timeout=60) for _ in range(INCREMENTS)]

    seen = [value for values_of_thread in values(race([increment_many] * THREADS)) for value in values_of_thread]

    assert sorted(seen) == list(range(1, THREADS * INCREMENTS + 1))
