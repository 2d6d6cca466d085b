"""Rate limits per credential: an API key, or a holder's client secret (counted per identification).

Fixed windows counted in the `ratelimit` cache, which every app-server process shares: Redis from RATELIMIT_CACHE_URL
(the documented deployment), else a database table. A counter in process memory would give each gunicorn worker its
own budget. Every count is atomic (Redis INCR, or one upsert statement), unlike DRF's SimpleRateThrottle, whose
read-modify-write of a timestamp list loses requests that race.
"""

import functools
import logging
import math
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from rest_framework.throttling import BaseThrottle

from identifications.models import RateLimitCounter

logger = logging.getLogger(__name__)

CACHE_ALIAS = "ratelimit"
PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds
    unit: str


@functools.lru_cache(maxsize=8)
def parse_rate(value: str) -> Rate:
    match = RATE.match(value or "")
    if not match or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"API_RATE_LIMIT must look like '600/minute' (per second, minute, hour or day), not {value!r}."
        )
    return Rate(limit=int(match.group(1)), period=PERIODS[match.group(2)], unit=match.group(2))


@dataclass(frozen=True)
class Usage:
    """Where a credential stands in the current window, as the RateLimit-* headers tell the client."""

    rate: Rate
    count: int
    reset: int  # whole seconds until the window ends (at least 1)

    @property
    def exceeded(self) -> bool:
        return self.count > self.rate.limit

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.rate.limit),
            "RateLimit-Remaining": str(max(0, self.rate.limit - self.count)),
            "RateLimit-Reset": str(self.reset),
        }


def usage_count(*, scope: str, now: float | None = None) -> Usage | None:
    """Count one request against `scope`'s budget. None when the store is unavailable: the request is let through,
    because refusing every request while Redis restarts would turn a limiter hiccup into an outage."""
    rate = parse_rate(settings.API_RATE_LIMIT)
    now = time.time() if now is None else now
    window = int(now // rate.period)
    reset = max(1, math.ceil((window + 1) * rate.period - now))
    key = f"ratelimit:{scope}:{rate.period}:{window}"
    try:
        # The counter outlives its window by a second, so that a request at the window's edge still finds it.
        count = count_request(caches[CACHE_ALIAS], key, timeout=reset + 1)
    except Exception as error:  # any store failure: Redis down, the database cache table missing, ...
        logger.warning("rate limiter unavailable (%s): request let through", type(error).__name__)
        return None
    return Usage(rate=rate, count=count, reset=reset)


def count_request(cache: BaseCache, key: str, *, timeout: int) -> int:
    """One more request on `key`'s counter in `cache`, atomically; returns the new count."""
    if isinstance(cache, RateLimitDatabaseStore | RateLimitRedisCache):
        return cache.count(key, timeout)
    try:
        # Any other Django cache (process memory in development): most requests find their window's counter.
        return cache.incr(key)
    except ValueError:
        # The window's first request creates the counter. Of two first requests, `add` lets one create it; the
        # other counts.
        return 1 if cache.add(key, 1, timeout=timeout) else cache.incr(key)


class CredentialRateThrottle(BaseThrottle):
    """DRF's throttle hook: runs after authentication, so it knows the credential. The view adds the headers."""

    def allow_request(self, request, view):
        # Each credential names its own budget (credentials.Credential.rate_limit_scope); none before authentication.
        scope = request.auth.rate_limit_scope if request.auth is not None else None
        usage = usage_count(scope=scope) if scope else None
        request.rate_limit_usage = usage
        self.usage = usage
        return usage is None or not usage.exceeded

    def wait(self):
        return self.usage.reset if self.usage else None


class RateLimitRedisCache(RedisCache):
    """Django's RedisCache, counting in one round trip: SET the counter to 0 with its expiry if it does not exist,
    then INCR it, in one MULTI/EXEC. RedisCache's own `incr` asks EXISTS first (two round trips, and a new client
    object each time), and a missing counter then needs an `add` and another `incr`."""

    def count(self, key: str, timeout: int) -> int:
        key = self.make_and_validate_key(key)
        pipeline = self._counter_client.pipeline()  # transaction=True: MULTI ... EXEC
        pipeline.set(key, 0, ex=timeout, nx=True)
        pipeline.incr(key)
        return pipeline.execute()[1]

    @functools.cached_property
    def _counter_client(self):
        # One client object per cache object (Django makes one per thread); its connection pool is shared.
        return self._cache.get_client(write=True)


class RateLimitDatabaseStore(BaseCache):
    """CACHES["ratelimit"] without Redis: counters in the `ratelimit_counter` table, one statement per request.

    An upsert counts and reads back in one statement (PostgreSQL, and SQLite >= 3.35): the row is locked only while
    that statement runs and commits, never across statements, and the window in the key means a counter row is hot
    only during its own window. Only what the throttle and its tests need of a cache: `count`, `get`, `clear`.
    """

    def __init__(self, location, params):
        super().__init__(params)

    def count(self, key: str, timeout: int) -> int:
        """Add one request to `key`'s counter, created (or restarted, if expired) to live `timeout` seconds."""
        key = self.make_and_validate_key(key)
        now = int(time.time())
        connection = connections[router.db_for_write(RateLimitCounter)]
        quote = connection.ops.quote_name
        table = quote(RateLimitCounter._meta.db_table)
        key_column, count_column, expires_column = quote("key"), quote("count"), quote("expires")
        expired = f"{table}.{expires_column} <= %s"
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({key_column}, {count_column}, {expires_column}) VALUES (%s, 1, %s) "
                f"ON CONFLICT ({key_column}) DO UPDATE SET "
                f"{count_column} = CASE WHEN {expired} THEN 1 ELSE {table}.{count_column} + 1 END, "
                f"{expires_column} = CASE WHEN {expired} THEN excluded.{expires_column} "
                f"ELSE {table}.{expires_column} END "
                f"RETURNING {count_column}",
                [key, now + timeout, now, now],
            )
            return cursor.fetchone()[0]

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        counter = RateLimitCounter.objects.filter(key=key, expires__gt=int(time.time())).first()
        return default if counter is None else counter.count

    def clear(self):
        RateLimitCounter.objects.all().delete()

    @staticmethod
    def purge_expired() -> int:
        """Delete the counters of past windows; returns how many."""
        return RateLimitCounter.objects.filter(expires__lte=int(time.time())).delete()[0]
