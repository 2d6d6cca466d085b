"""ISO-8601 durations (P7D, PT12H, P1M), read one way for the API's `expires_in` and the commands' options."""

from datetime import datetime, timedelta

import isodate


class InvalidDuration(ValueError):
    """Not an ISO-8601 duration that isodate can read."""


def duration_span(text: str, *, now: datetime) -> timedelta:
    """The span `text` covers from `now`. Calendar durations (P1M) depend on the date they start from, hence `now`.

    Raises InvalidDuration when `text` is malformed or reaches past the calendar; the sign is the caller's rule.
    """
    try:
        return (now + isodate.parse_duration(text)) - now
    except (isodate.ISO8601Error, ValueError, OverflowError, ArithmeticError, TypeError):
        raise InvalidDuration(text) from None
