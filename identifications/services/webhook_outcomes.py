"""Recording a batch of webhook delivery attempts (identifications.services.webhook_delivery sends them): one
transaction with the attempts' log, the deliveries' outcomes under the lease they were sent under, the endpoints'
health, and the retries' wake-up tasks.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Field, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from identifications import outbound
from identifications.backoff import retry_delay
from identifications.models import Event, WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint

logger = logging.getLogger("identifications.services.webhooks")

Delivery = WebhookDelivery.Status
# API.md: retried after about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h (about 3 days in all).
RETRY_DELAYS = [timedelta(seconds=s) for s in (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)]
RESPONSE_LOG_BYTES = 1024
# A run of successes rewrites the endpoint's last_success_at only when it is older than this: the endpoint row is
# the one row that every worker delivering to that endpoint would otherwise write for every delivery.
LAST_SUCCESS_RESOLUTION = timedelta(seconds=5)


@dataclass(frozen=True)
class Claimed:
    """A delivery claimed under a lease, with what sending it needs."""

    id: int
    attempts: int
    event_public_id: str
    event_type: str
    payload: dict
    endpoint_id: int
    endpoint_public_id: str
    url: str
    secret_encrypted: str
    previous_secret_encrypted: str
    previous_secret_expires_at: datetime | None

    @property
    def is_test(self) -> bool:
        # webhook.test is delivered even to a disabled endpoint and says nothing about its health.
        return self.event_type == Event.Type.WEBHOOK_TEST


@dataclass(frozen=True)
class Outcome:
    delivery: Claimed
    started: datetime
    finished: datetime
    response: outbound.OutboundResponse | None
    error: str

    @property
    def succeeded(self) -> bool:
        return self.response is not None and 200 <= self.response.status < 300

    @property
    def gone(self) -> bool:
        return self.response is not None and self.response.status == 410


def record_outcomes(outcomes: list[Outcome], released: list[Claimed], *, lease) -> None:
    """The batch's outcomes in one transaction; `released` were claimed but not sent (their lease is cleared)."""
    now = timezone.now()
    changes = {outcome.delivery.id: _delivery_changes(outcome) for outcome in outcomes}
    changes.update({delivery.id: {} for delivery in released})
    retry_times = [change["next_attempt_at"] for change in changes.values() if change.get("next_attempt_at")]
    with transaction.atomic():
        if outcomes:
            WebhookDeliveryAttempt.objects.bulk_create([_attempt_log(outcome) for outcome in outcomes])
        _update_deliveries(changes, lease=lease, now=now)
        _update_health(outcomes, now=now)
        if retry_times:
            transaction.on_commit(lambda: _schedule_retries(retry_times))
    for outcome in outcomes:
        if not outcome.succeeded:
            logger.info(
                "webhook delivery %s attempt %d: %s",
                outcome.delivery.id,
                outcome.delivery.attempts + 1,
                outcome.response.status if outcome.response else outcome.error,
            )
    logger.info(
        "webhook deliveries: %d sent, %d succeeded, %d handed back",
        len(outcomes),
        sum(outcome.succeeded for outcome in outcomes),
        len(released),
    )


def _delivery_changes(outcome: Outcome) -> dict:
    """Every field of UPDATED_FIELDS; last_status_code and delivered_at None mean unchanged (no answer this time,
    not delivered now)."""
    response, now = outcome.response, outcome.finished
    attempts = outcome.delivery.attempts + 1
    changes: dict = {
        "attempts": attempts,
        "last_status_code": response.status if response is not None else None,
        "delivered_at": None,
    }
    if outcome.succeeded:
        changes.update(status=Delivery.SUCCEEDED, delivered_at=now, next_attempt_at=None)
    elif outcome.gone or attempts > len(RETRY_DELAYS):
        changes.update(status=Delivery.FAILED, next_attempt_at=None)
    else:
        changes.update(status=Delivery.PENDING, next_attempt_at=now + _retry_delay(attempts, response))
    return changes


def _attempt_log(outcome: Outcome) -> WebhookDeliveryAttempt:
    response = outcome.response
    elapsed = response.elapsed if response else (outcome.finished - outcome.started).total_seconds()
    return WebhookDeliveryAttempt(
        delivery_id=outcome.delivery.id,
        created_at=outcome.started,
        status_code=response.status if response else None,
        duration_ms=round(elapsed * 1000),
        error=outcome.error or ("" if outcome.succeeded else f"HTTP {response.status}" if response else ""),
        response_body=response.body[:RESPONSE_LOG_BYTES].decode("utf-8", "replace") if response else "",
    )


UPDATED_FIELDS = ("status", "attempts", "next_attempt_at", "last_status_code", "delivered_at")
NULL_MEANS_UNCHANGED = ("last_status_code", "delivered_at")

# The outcomes of a batch in one statement, under our lease only. Built as SQL rather than as the ORM's CASE per
# field and row (bulk_update's form): resolving those When(pk=...) expressions cost ~5 ms of CPU per delivery in
# the profile, more than the POST itself. The casts type the VALUES columns that may be all NULL. A NULL status
# code or delivery time means "unchanged" (no answer this time: the last one stays), as in _delivery_changes.
OUTCOMES_SQL = """
UPDATE identifications_webhookdelivery AS d
SET status = v.status, attempts = v.attempts::smallint, next_attempt_at = v.next_attempt_at::timestamptz,
    last_status_code = coalesce(v.last_status_code::smallint, d.last_status_code),
    delivered_at = coalesce(v.delivered_at::timestamptz, d.delivered_at),
    lease_expires_at = NULL, updated_at = %s
FROM (VALUES {rows}) AS v (id, status, attempts, next_attempt_at, last_status_code, delivered_at)
WHERE d.id = v.id AND d.lease_expires_at = %s
"""


def _update_deliveries(changes: dict[int, dict], *, lease, now) -> None:
    """The sent deliveries' outcomes in one UPDATE, under our lease only: a delivery whose lease expired and was
    taken over keeps the other worker's outcome. Handed-back deliveries only lose the lease (a second statement,
    only when there are some). Every row's lease is cleared."""
    sent = {pk: change for pk, change in changes.items() if change}
    handed_back = [pk for pk, change in changes.items() if not change]
    if handed_back:
        WebhookDelivery.objects.filter(pk__in=handed_back, lease_expires_at=lease).update(
            lease_expires_at=None, updated_at=now
        )
    if not sent:
        return
    if connection.vendor != "postgresql":
        _update_deliveries_portable(sent, lease=lease, now=now)
        return
    params: list = []
    for pk, change in sent.items():
        params += [pk, *(change.get(name) for name in UPDATED_FIELDS)]
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(sent))
    with connection.cursor() as cursor:
        cursor.execute(OUTCOMES_SQL.format(rows=rows), [now, *params, lease])


def _update_deliveries_portable(sent: dict[int, dict], *, lease, now) -> None:
    """The same UPDATE through the ORM (CASE per field, as bulk_update builds it), for SQLite."""
    values: dict[str, Case] = {}
    for name in UPDATED_FIELDS:
        field = WebhookDelivery._meta.get_field(name)
        assert isinstance(field, Field)  # a concrete column, for the type checker
        whens = [
            When(pk=pk, then=Value(change[name], output_field=field))
            for pk, change in sent.items()
            if change.get(name) is not None or name not in NULL_MEANS_UNCHANGED
        ]
        if whens:
            values[name] = Case(*whens, default=F(name), output_field=field)
    WebhookDelivery.objects.filter(pk__in=list(sent), lease_expires_at=lease).update(
        lease_expires_at=None, updated_at=now, **values
    )


def _update_health(outcomes: list[Outcome], *, now) -> None:
    """One UPDATE per endpoint of the batch (two or three when it failed), from its outcomes in the order sent."""
    by_endpoint: dict[int, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        if not outcome.delivery.is_test:
            by_endpoint[outcome.delivery.endpoint_id].append(outcome)
    for results in by_endpoint.values():
        successes = [index for index, outcome in enumerate(results) if outcome.succeeded]
        failures = results[successes[-1] + 1 :] if successes else results
        endpoint = WebhookEndpoint.objects.filter(pk=results[0].delivery.endpoint_id)
        if not failures:
            last_success = results[successes[-1]].finished
            # A no-op (no row written, no lock taken) while the endpoint is healthy and its last success recent.
            endpoint.filter(
                Q(consecutive_failures__gt=0)
                | Q(failing_since__isnull=False)
                | Q(last_success_at__isnull=True)
                | Q(last_success_at__lt=last_success - LAST_SUCCESS_RESOLUTION)
            ).update(last_success_at=last_success, consecutive_failures=0, failing_since=None)
            continue
        first_failure = failures[0].finished
        if successes:
            endpoint.update(
                last_success_at=results[successes[-1]].finished,
                consecutive_failures=len(failures),
                failing_since=first_failure,
            )
        else:
            endpoint.update(
                consecutive_failures=F("consecutive_failures") + len(failures),
                failing_since=Coalesce("failing_since", Value(first_failure)),
            )
        _disable_if_due(endpoint, results[0].delivery, gone=any(outcome.gone for outcome in failures), now=now)


def _disable_if_due(endpoint, delivery: Claimed, *, gone: bool, now) -> None:
    disable_reason = gettext("The endpoint answered 410 Gone.") if gone else ""
    if not disable_reason:
        failing_since = next(iter(endpoint.values_list("failing_since", flat=True)), None)
        if failing_since and now - failing_since >= timedelta(hours=settings.WEBHOOKS_DISABLE_AFTER_HOURS):
            disable_reason = gettext("Disabled after failing every delivery since %(since)s.") % {
                "since": failing_since.strftime("%Y-%m-%d %H:%M UTC")
            }
    if disable_reason:
        endpoint.filter(enabled=True).update(enabled=False, disabled_reason=disable_reason, updated_at=now)
        logger.warning("webhook endpoint %s disabled: %s", delivery.endpoint_public_id, disable_reason)


def _retry_delay(attempts: int, response) -> timedelta:
    delay = retry_delay(RETRY_DELAYS, attempts)
    retry_after = _retry_after(response)
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_DELAYS[-1]))
    return delay


def _retry_after(response) -> timedelta | None:
    value = response.headers.get("retry-after", "").strip() if response is not None else ""
    if not value:
        return None
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        return max(parsedate_to_datetime(value) - timezone.now(), timedelta(0))
    except (TypeError, ValueError):
        return None


def _schedule_retries(retry_times: list[datetime]) -> None:
    """One deferred task per second of retry times, at the latest retry of that second: when it runs, every retry
    of its second is due (none waits more than a second past its time), and a batch's failures, whose jittered
    retries fall within a few seconds of each other, cost a few tasks rather than one each."""
    from identifications.tasks import deliver_webhooks

    if not deliver_webhooks.get_backend().supports_defer:
        return  # the immediate backend of the tests: the sweeper (or the test) sends them
    latest: dict[datetime, datetime] = {}
    for retry_at in retry_times:
        second = retry_at.replace(microsecond=0)
        latest[second] = max(latest.get(second, retry_at), retry_at)
    for run_after in sorted(latest.values()):
        deliver_webhooks.using(run_after=run_after).enqueue()
