"""The one ISO-8601 duration reader behind the API's `expires_in` and the commands' `--older-than`/`--expires-in`."""

from datetime import UTC, datetime, timedelta

import pytest

from identifications.durations import InvalidDuration, duration_span

NOW = datetime(2026, 1, 31, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "span"),
    [("P7D", timedelta(days=7)), ("PT12H", timedelta(hours=12)), ("P1M", timedelta(days=28)), ("-P1D", -timedelta(1))],
)
def test_spans_are_measured_from_now(text, span):
    # P1M from 31 January ends on 28 February (2026 is not a leap year).
    assert duration_span(text, now=NOW) == span


@pytest.mark.parametrize("text", ["7 days", "P", "", "P99999999Y", "PT1.5.5H"])
def test_anything_else_is_invalid(text):
    with pytest.raises(InvalidDuration):
        duration_span(text, now=NOW)
