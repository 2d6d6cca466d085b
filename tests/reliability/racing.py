"""Run callables at the same instant on real threads, each with its own database connection."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connections

# For every test here that commits (threads and other processes only see committed rows). serialized_rollback: the
# flush after a transactional test empties the seeded document types and configurations, and this restores them
# before the test; it also keeps the flush from re-creating content types that the next such test would duplicate.
TRANSACTIONAL = pytest.mark.django_db(transaction=True, serialized_rollback=True)

START_TIMEOUT_SECONDS = 20
FINISH_TIMEOUT_SECONDS = 60


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None


def race(callables: list[Callable[[], Any]], *, timeout: float = FINISH_TIMEOUT_SECONDS) -> list[Outcome]:
    """Start one thread per callable, release them together with a barrier and wait (bounded) for all of them.

    Each thread opens its own connection (Django's connections are per thread) and closes it when done, so the
    database sees as many concurrent sessions as there are callables. Returns one Outcome per callable, in order.
    """
    barrier = threading.Barrier(len(callables), timeout=START_TIMEOUT_SECONDS)
    outcomes = [Outcome() for _ in callables]

    def run(index: int, function: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index].value = function()
        except BaseException as error:  # reported to the test, which asserts on it
            outcomes[index].error = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f), daemon=True) for i, f in enumerate(callables)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    assert not stuck, f"{stuck} of {len(threads)} racing threads did not finish within {timeout} s"
    return outcomes


def values(outcomes: list[Outcome]) -> list[Any]:
    """The callables' results; fails the test with the first exception any of them raised."""
    errors = [outcome.error for outcome in outcomes if outcome.error is not None]
    if errors:
        raise AssertionError(f"{len(errors)} racing calls raised, the first: {errors[0]!r}") from errors[0]
    return [outcome.value for outcome in outcomes]
