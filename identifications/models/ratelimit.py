from django.db import models


class RateLimitCounter(models.Model):
    """The requests one credential made in one fixed window, when the rate limiter has no Redis to count in.

    The key names the window (`ratelimit:<scope>:<period>:<window>`), so a row is written only during its own window
    and the next window starts a new row. The throttle counts with one upsert statement
    (identifications.api.http.throttling.RateLimitDatabaseStore); `purge_idempotency_keys` deletes expired rows.
    Internal, not in the admin, so no verbose names to translate.
    """

    # Its indexes (the primary key's, and on PostgreSQL Django's varchar_pattern_ops twin) are written once per window
    # and credential: a request's increment changes no indexed column, so PostgreSQL updates the row in place (HOT).
    key = models.CharField(max_length=255, primary_key=True)
    count = models.PositiveIntegerField()
    # Unix seconds: compared with the time in SQL, no time zone conversion between databases. Not indexed: only the
    # hourly purge filters on it, over a table that holds one row per credential and window.
    expires = models.BigIntegerField()

    class Meta:
        db_table = "ratelimit_counter"

    def __str__(self) -> str:
        return self.key
