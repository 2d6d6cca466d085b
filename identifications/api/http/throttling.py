"""Rate limits per credential: an API key, or a holder's client secret (counted per identification).

Fixed windows counted in the `ratelimit` cache, which every app-server process shares (Redis from
RATELIMIT_CACHE_URL, else the database): a counter in process memory would give each gunicorn worker its own budget.
Each request `incr`s its window's counter and the window's first creates it with `add`, both atomic, unlike DRF's
SimpleRateThrottle, whose read-modify-write of a timestamp list loses requests that race.
"""

import base64
import functools
import logging
import math
import pickle
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router, transaction
from django.utils.timezone import now as tz_now
from rest_framework.throttling import BaseThrottle

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
    cache = caches[CACHE_ALIAS]
    try:
        try:
            # Most requests find their window's counter: one atomic increment (two statements on the database).
            count = cache.incr(key)
        except ValueError:
            # The window's first request creates the counter, which outlives the window by a second so that a
            # request at its edge still finds it. Of two first requests, `add` lets one create it; the other counts.
            count = 1 if cache.add(key, 1, timeout=reset + 1) else cache.incr(key)
    except Exception as error:  # any store failure: Redis down, the database cache table missing, ...
        logger.warning("rate limiter unavailable (%s): request let through", type(error).__name__)
        return None
    return Usage(rate=rate, count=count, reset=reset)


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


class RateLimitDatabaseCache(DatabaseCache):
    """Django's DatabaseCache with an atomic `incr`.

    The inherited `incr` reads the value and writes value + 1 in two statements, so two app servers incrementing
    together both write the same number and a request goes uncounted. Here the row is locked (SELECT ... FOR UPDATE
    on PostgreSQL; SQLite's IMMEDIATE transactions lock the database) between the read and the write, and the
    write keeps the counter's expiry instead of resetting it to the default timeout.
    """

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote_name = connection.ops.quote_name
        table, cache_key, value_column = quote_name(self._table), quote_name("cache_key"), quote_name("value")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        # A counter needs no durability: losing the last few increments in a crash lets a client through a little
        # early. Without waiting for the WAL flush, the commit releases the row lock at once instead of after an
        # fsync, which every request of the same key queues behind (BENCHMARKS.md). Only in our own transaction.
        asynchronous = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic(using=db), connection.cursor() as cursor:
            if asynchronous:
                cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute(
                f"SELECT {value_column}, {quote_name('expires')} FROM {table} WHERE {cache_key} = %s{lock}", [key]
            )
            row = cursor.fetchone()
            if row is None or self._expired(row[1], connection):
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(connection.ops.process_clob(row[0]).encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET {value_column} = %s WHERE {cache_key} = %s", [encoded, key])
        return value

    @staticmethod
    def _expired(expires, connection) -> bool:
        # The same conversion DatabaseCache.get_many applies: aware or naive depending on the database.
        expression = models.Expression(output_field=models.DateTimeField())
        for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(connection):
            expires = converter(expires, expression, connection)
        return expires < tz_now()
