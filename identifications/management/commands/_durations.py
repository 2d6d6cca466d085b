"""ISO-8601 durations given on the command line (a helper module: Django ignores names starting with _)."""

from datetime import datetime, timedelta

from django.utils.translation import gettext

from identifications.durations import InvalidDuration, duration_span


def parse_positive_duration(text: str, *, now: datetime) -> timedelta:
    """The span `text` (P90D, PT12H, P1M) covers from `now`; ValueError when malformed, zero or negative."""
    try:
        span = duration_span(text, now=now)
    except InvalidDuration:
        raise ValueError(
            gettext("%(text)r is not an ISO-8601 duration such as P90D or PT12H.") % {"text": text}
        ) from None
    if span <= timedelta(0):
        raise ValueError(gettext("%(text)r must be a positive duration.") % {"text": text})
    return span
