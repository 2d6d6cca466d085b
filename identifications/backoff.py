"""Retry schedules of the worker's tasks (webhook deliveries, EXTERNAL scoring): one jittered step."""

import random
from collections.abc import Sequence
from datetime import timedelta

# Spread retries by up to 10% so that the retries of one outage don't all come back in the same second.
JITTER = 0.1


def retry_delay(schedule: Sequence[timedelta], tries: int) -> timedelta:
    """How long after the `tries`-th failed try (1-based) the next one comes: that step of `schedule` (its last
    step repeats), jittered."""
    return schedule[min(tries, len(schedule)) - 1] * random.uniform(1 - JITTER, 1 + JITTER)
