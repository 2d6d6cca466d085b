"""The PostgreSQL side of `expire_identifications`: the batch statement, and the due rows cut into ranges that
several workers expire side by side.

At a million due rows the command's time is PostgreSQL's work per row (bench/NOTES.md, "Expiry"), so:

- one statement per batch does everything: lock the due rows, mark them EXPIRED, write their audit events and their
  public events (the outbox), and hand back only the public events of organizations that have webhook endpoints;
  no id crosses to Python and back;
- the due rows are walked by keyset, `(expires_at, id)` after the last range handed out, on the partial index
  identification_expiry_due: a batch no longer starts by stepping over the index entries of every row expired
  earlier in the run (dead to the index until a vacuum: 25 ms a batch half-way through a million);
- ranges of `batch_size` rows are handed out in order, under a lock, to worker threads with their own connections:
  the batches are independent, so PostgreSQL works on both cores.

services.lifecycle owns the writes (`_record_events` runs the statement); this module builds the statement and
hands out the ranges.
"""

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, connections

from identifications.models import Identification, IdentificationEvent
from identifications.services.events import PUBLIC_EVENTS_INSERT_SQL

Status = Identification.Status

# (expires_at, id) before every row: the keyset's start.
FIRST_KEY = (datetime.min.replace(tzinfo=UTC), uuid.UUID(int=0))

# The due rows' keys, in the order of identification_expiry_due, from a key on: the batch_size-th (or the last) one,
# and its position. Index-only while the pages ahead are all-visible; the rows are not locked here.
NEXT_RANGE_SQL = """
SELECT expires_at, id, position FROM (
    SELECT expires_at, id, row_number() OVER (ORDER BY expires_at, id) AS position
    FROM identifications_identification
    WHERE status = %(pending)s AND expires_at <= %(now)s AND (expires_at, id) > (%(after_at)s, %(after_id)s)
    ORDER BY expires_at, id
    LIMIT %(batch_size)s
) AS keys
ORDER BY position DESC
LIMIT 1
"""

# One expiry batch. The public event is the outbox's (services.events.PUBLIC_EVENTS_INSERT_SQL, which the outbox
# runs over the identification table; here over the UPDATE's RETURNING, which carries the new status that a sibling
# CTE could not read from the table: every part of one statement sees the snapshot from before it). The last SELECT
# returns one row: how many rows it expired, and the ids and organizations of the public events whose organization
# has an enabled webhook endpoint (the deliveries are created from those; the others need nothing more).
BATCH_SQL = (
    """
WITH due AS (
    SELECT id FROM identifications_identification
    WHERE status = %(from_status)s AND expires_at <= %(now)s
        AND (expires_at, id) > (%(after_at)s, %(after_id)s) {until}
    ORDER BY expires_at, id
    LIMIT %(batch_size)s
    FOR UPDATE SKIP LOCKED
), expired AS (
    UPDATE identifications_identification AS expiring SET status = %(to_status)s, updated_at = %(now)s
    FROM due WHERE expiring.id = due.id AND expiring.status = %(from_status)s
    RETURNING expiring.id, expiring.organization_id, expiring.configuration_id, expiring.status,
        expiring.attempts_used, expiring.attempt_processing
), audit AS (
    INSERT INTO identifications_identificationevent ({audit_columns})
    SELECT {audit_values} FROM expired
), public AS (
"""
    + PUBLIC_EVENTS_INSERT_SQL.format(source="expired")
    + """    RETURNING id, organization_id
)
SELECT count(*),
    coalesce(array_agg(public.id) FILTER (WHERE listening.organization_id IS NOT NULL), '{{}}'),
    coalesce(array_agg(public.organization_id) FILTER (WHERE listening.organization_id IS NOT NULL), '{{}}')
FROM public
LEFT JOIN (
    SELECT DISTINCT organization_id FROM identifications_webhookendpoint WHERE enabled
) AS listening ON listening.organization_id = public.organization_id
"""
)

# One SELECT expression per audit event column: the expired row's id, the rest parameters.
AUDIT_VALUES = {
    "identification": "id",
    "from_status": "%(from_status)s",
    "to_status": "%(to_status)s",
    "actor_type": "%(actor_type)s",
    "actor": "%(actor)s",
    "staff_user": "%(staff_user_id)s",
    "reason": "%(reason)s",
    "created_at": "%(now)s",
}


def batch_sql(*, bounded: bool) -> str:
    """The batch statement; `bounded`: it also stops at `(until_at, until_id)` (a range handed out), otherwise it
    takes the first `batch_size` due rows after `(after_at, after_id)`."""
    quote = connection.ops.quote_name
    fields = [field for field in IdentificationEvent._meta.concrete_fields if not field.primary_key]
    missing = {field.name for field in fields} ^ set(AUDIT_VALUES)
    if missing:
        raise RuntimeError(f"the expiry batch statement does not fill IdentificationEvent fields {sorted(missing)}")
    return BATCH_SQL.format(
        until="AND (expires_at, id) <= (%(until_at)s, %(until_id)s)" if bounded else "",
        audit_columns=", ".join(quote(str(field.column)) for field in fields),
        audit_values=", ".join(AUDIT_VALUES[field.name] for field in fields),
    )


@dataclass(frozen=True)
class DueRange:
    after: tuple  # (expires_at, id), exclusive
    until: tuple  # (expires_at, id), inclusive
    rows: int  # due when handed out


class DueRanges:
    """Consecutive ranges of `batch_size` due rows, handed out in key order to whichever worker asks (thread-safe).
    A range that expires fewer rows than it held (a row locked by a close, or closed meanwhile) is reported, and
    the rows after its start are swept once more at the end."""

    def __init__(self, *, now, batch_size: int):
        self.now, self.batch_size = now, batch_size
        self._lock = threading.Lock()
        self._after = FIRST_KEY
        self._exhausted = False
        self.first_short: tuple | None = None

    def claim(self) -> DueRange | None:
        with self._lock:
            if self._exhausted:
                return None
            with connection.cursor() as cursor:
                cursor.execute(
                    NEXT_RANGE_SQL,
                    {
                        "pending": Status.PENDING.value,
                        "now": self.now,
                        "after_at": self._after[0],
                        "after_id": self._after[1],
                        "batch_size": self.batch_size,
                    },
                )
                row = cursor.fetchone()
            if row is None:
                self._exhausted = True
                return None
            until_at, until_id, rows = row
            claimed = DueRange(after=self._after, until=(until_at, until_id), rows=rows)
            self._after = claimed.until
            self._exhausted = rows < self.batch_size
            return claimed

    def stop(self) -> None:
        with self._lock:
            self._exhausted = True

    def short(self, claimed: DueRange) -> None:
        with self._lock:
            if self.first_short is None or claimed.after < self.first_short:
                self.first_short = claimed.after


def expire_in_ranges(*, now, batch_size: int, workers: int, expire: Callable[[tuple, tuple | None], int]) -> int:
    """Hand the due rows out in ranges to `workers` threads (1: this thread alone), each calling
    `expire(after, until)` on its own connection; then `expire(after, None)` from the first range that came up
    short until nothing more expires. Returns how many rows were expired."""
    ranges = DueRanges(now=now, batch_size=batch_size)

    def work() -> int:
        total = 0
        while claimed := ranges.claim():
            expired = expire(claimed.after, claimed.until)
            if expired < claimed.rows:
                ranges.short(claimed)
            total += expired
        return total

    def work_in_thread() -> int:
        try:
            return work()
        finally:
            connections.close_all()  # this thread's connections only: they are per thread

    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="expiry") as pool:
            futures = [pool.submit(work_in_thread) for _ in range(workers)]
            try:
                wait(futures, return_when=FIRST_EXCEPTION)
            finally:
                # A worker failed, or Ctrl-C: the others finish (commit) the batch they are in and take no more.
                ranges.stop()
            total = sum(future.result() for future in futures)  # raises a worker's failure
    else:
        total = work()
    if ranges.first_short is not None:
        while expired := expire(ranges.first_short, None):
            total += expired
    return total
