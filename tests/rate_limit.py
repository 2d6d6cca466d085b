"""What the rate limiter spends per API request in the configured store, for the query-budget tests.

The suite counts in the production store (config/test_settings.py): Redis when RATELIMIT_CACHE_URL is set, as in CI
and the documented deployment, with no database statement; else the database table, with one upsert per request.
"""

from django.conf import settings

DATABASE_STORE = "identifications.api.http.throttling.RateLimitDatabaseStore"
COUNTER_TABLE = "ratelimit_counter"


def counts_in_the_database() -> bool:
    return settings.CACHES["ratelimit"]["BACKEND"] == DATABASE_STORE


def rate_limit_verbs() -> list[str]:
    """The statements one API request spends on its rate-limit counter, before any of its own."""
    return ["INSERT"] if counts_in_the_database() else []


def rate_limited(verbs: list[str], *, after: int = 0) -> list[str]:
    """`verbs` of one API request with its rate-limit statement where the store is the database: first for an API
    key (read from its cache), or `after` the statements that authenticate a holder's client secret."""
    return [*verbs[:after], *rate_limit_verbs(), *verbs[after:]]


def is_rate_limit_upsert(sql: str) -> bool:
    """The database store's one named statement: INSERT ... ON CONFLICT ... DO UPDATE ... RETURNING on its table."""
    return sql.startswith(f'INSERT INTO "{COUNTER_TABLE}"') and "ON CONFLICT" in sql and "RETURNING" in sql
