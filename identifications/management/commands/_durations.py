"""ISO-8601 durations given on the command line (a helper module: Django ignores names starting with _)."""

from datetime import datetime, timedelta

import isodate
from django.utils.translation import gettext


def parse_positive_duration(text: str, *, now: datetime) -> timedelta:
    """The span `text` (P90D, PT12H, P1M) covers from `now`; ValueError when malformed, zero or negative."""
    try:
        # Calendar durations (P1M) depend on the date they start from, so measure them from now.
        span = (now + isodate.parse_duration(text)) - now
    except (isodate.ISO8601Error, ValueError, OverflowError, ArithmeticError, TypeError):
        raise ValueError(
            gettext("%(text)r is not an ISO-8601 duration such as P90D or PT12H.") % {"text": text}
        ) from None
    if span <= timedelta(0):
        raise ValueError(gettext("%(text)r must be a positive duration.") % {"text": text})
    return span
