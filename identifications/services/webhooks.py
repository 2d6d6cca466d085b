"""Webhook endpoints and the delivery of events to them (Standard Webhooks signatures, retries with backoff).

A delivery is claimed with a lease (a conditional UPDATE), sent outside any transaction, and its outcome written
back under that lease: a worker killed mid-delivery loses nothing, the sweeper re-queues the delivery once the lease
has expired, and the receiver may then see the same `webhook-id` twice (which Standard Webhooks receivers expect).
"""

import base64
import json
import logging
import secrets
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime

from cryptography.fernet import MultiFernet
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from standardwebhooks.webhooks import Webhook

from identifications import outbound
from identifications.backoff import retry_delay
from identifications.models import Event, WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint
from identifications.secret_box import fernet_for
from identifications.services.events import deliveries_enqueue, event_payload

logger = logging.getLogger(__name__)

Delivery = WebhookDelivery.Status
# API.md: retried after about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h (about 3 days in all).
RETRY_DELAYS = [timedelta(seconds=s) for s in (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)]
PREVIOUS_SECRET_OVERLAP = timedelta(hours=24)
RESPONSE_LOG_BYTES = 1024


# --- Secrets ---------------------------------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def _fernet() -> MultiFernet:
    # Signing needs the secret in clear, so it is encrypted (not hashed).
    # A literal key salt (not __name__): moving this module must not make stored secrets undecryptable.
    return fernet_for("identifications.services.webhooks", "webhook-secret")


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode("ascii")).decode("ascii")


def _decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode("ascii")).decode("ascii")


def signing_secrets(endpoint: WebhookEndpoint, *, now) -> list[str]:
    """The current secret, and the previous one while its overlap after a rotation lasts."""
    active = [_decrypt(endpoint.secret_encrypted)]
    if endpoint.previous_secret_encrypted and endpoint.previous_secret_expires_at > now:
        active.append(_decrypt(endpoint.previous_secret_encrypted))
    return active


def signature_header(secrets_: list[str], *, msg_id: str, timestamp, body: bytes) -> str:
    return " ".join(Webhook(secret).sign(msg_id, timestamp, body.decode("utf-8")) for secret in secrets_)


# --- Endpoints -------------------------------------------------------------------------------------------------


def webhook_endpoint_create(
    *, organization, url: str, event_types=(), description: str = "", now=None
) -> tuple[WebhookEndpoint, str]:
    """Returns the endpoint and its secret, which is shown this once."""
    now = now or timezone.now()
    outbound.check_url(url)
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        organization=organization,
        url=url,
        event_types=list(event_types),
        description=description,
        secret_encrypted=_encrypt(secret),
        created_at=now,
        updated_at=now,
    )
    logger.info("webhook endpoint %s created for %s", endpoint.public_id, organization.slug)
    return endpoint, secret


def webhook_endpoint_update(*, endpoint: WebhookEndpoint, now=None, **changes) -> WebhookEndpoint:
    now = now or timezone.now()
    if "url" in changes:
        outbound.check_url(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = list(changes["event_types"])
    if changes.get("enabled") and not endpoint.enabled:
        # Re-enabled by hand: start counting failures afresh.
        changes.update(disabled_reason="", consecutive_failures=0, failing_since=None)
    for field, value in changes.items():
        setattr(endpoint, field, value)
    endpoint.updated_at = now
    endpoint.save(update_fields=[*changes, "updated_at"])
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, now=None) -> str:
    """A new secret signs from now on; the old one keeps signing alongside for 24 hours, so receivers can switch
    without missing an event."""
    now = now or timezone.now()
    secret = new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = now + PREVIOUS_SECRET_OVERLAP
    endpoint.secret_encrypted = _encrypt(secret)
    endpoint.updated_at = now
    endpoint.save(
        update_fields=["previous_secret_encrypted", "previous_secret_expires_at", "secret_encrypted", "updated_at"]
    )
    logger.info("webhook endpoint %s secret rotated", endpoint.public_id)
    return secret


def webhook_endpoint_send_test(*, endpoint: WebhookEndpoint, now=None) -> WebhookDelivery:
    """A `webhook.test` event, delivered (with retries) to this endpoint only, even when it is disabled."""
    now = now or timezone.now()
    with transaction.atomic():
        event = Event(
            organization_id=endpoint.organization_id, identification=None, type=Event.Type.WEBHOOK_TEST, sequence=0
        )
        event.created_at = now
        event.payload = event_payload(event, organization=endpoint.organization.slug, data={"id": None})
        event.save(force_insert=True)
        delivery = WebhookDelivery.objects.create(
            event=event, endpoint=endpoint, next_attempt_at=now, created_at=now, updated_at=now
        )
        transaction.on_commit(lambda: deliveries_enqueue([delivery.pk]))
    return delivery


def webhook_delivery_resend(*, delivery: WebhookDelivery, now=None) -> None:
    """Send again now (staff's Resend): the same event and webhook-id, a fresh retry schedule."""
    now = now or timezone.now()
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.PENDING, attempts=0, next_attempt_at=now, lease_expires_at=None, updated_at=now
        )
        transaction.on_commit(lambda: deliveries_enqueue([delivery.pk]))


# --- Delivery --------------------------------------------------------------------------------------------------


def webhook_delivery_attempt(*, delivery_id, now=None) -> bool:
    """Claim the delivery if it is due and nobody holds it, POST it once, record the outcome. Returns whether it
    was sent (False: not due, already done or held by another worker)."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOKS_DELIVERY_LEASE_SECONDS)
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=Delivery.PENDING, next_attempt_at__lte=now)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
        .update(lease_expires_at=lease, updated_at=now)
    )
    if not claimed:
        return False
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    endpoint, event = delivery.endpoint, delivery.event
    if not endpoint.enabled and event.type != Event.Type.WEBHOOK_TEST:
        # Left PENDING: re-enabling the endpoint lets the sweeper pick it up again.
        WebhookDelivery.objects.filter(pk=delivery_id, lease_expires_at=lease).update(lease_expires_at=None)
        return False
    body = json.dumps(event.payload, separators=(",", ":")).encode("utf-8")
    sent_at = timezone.now()
    headers = {
        "content-type": "application/json",
        "webhook-id": event.public_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature_header(
            signing_secrets(endpoint, now=sent_at), msg_id=event.public_id, timestamp=sent_at.astimezone(UTC), body=body
        ),
    }
    response, error = None, ""
    try:
        response = outbound.post(
            endpoint.url, body=body, headers=headers, deadline=settings.WEBHOOKS_DELIVERY_DEADLINE_SECONDS
        )
    except outbound.OutboundFailure as failure:
        error = failure.reason
    finished_at = timezone.now()
    _record_outcome(delivery, lease=lease, response=response, error=error, started=sent_at, now=finished_at)
    return True


def _record_outcome(delivery, *, lease, response, error, started, now) -> None:
    endpoint = delivery.endpoint
    succeeded = response is not None and 200 <= response.status < 300
    duration_ms = round((response.elapsed if response else (now - started).total_seconds()) * 1000)
    attempts = delivery.attempts + 1
    changes = {"attempts": attempts, "lease_expires_at": None, "updated_at": now}
    if response is not None:
        changes["last_status_code"] = response.status
    retry_at = None
    disable_reason = ""
    if succeeded:
        changes.update(status=Delivery.SUCCEEDED, delivered_at=now, next_attempt_at=None)
    elif response is not None and response.status == 410:
        changes.update(status=Delivery.FAILED, next_attempt_at=None)
        disable_reason = gettext("The endpoint answered 410 Gone.")
    elif attempts > len(RETRY_DELAYS):
        changes.update(status=Delivery.FAILED, next_attempt_at=None)
    else:
        retry_at = now + _retry_delay(attempts, response)
        changes["next_attempt_at"] = retry_at
    with transaction.atomic():
        WebhookDeliveryAttempt.objects.create(
            delivery=delivery,
            created_at=started,
            status_code=response.status if response else None,
            duration_ms=duration_ms,
            error=error or ("" if succeeded else f"HTTP {response.status}"),
            response_body=response.body[:RESPONSE_LOG_BYTES].decode("utf-8", "replace") if response else "",
        )
        # Under our lease only: if it expired and another worker took the delivery over, its outcome stands.
        WebhookDelivery.objects.filter(pk=delivery.pk, lease_expires_at=lease).update(**changes)
        if delivery.event.type != Event.Type.WEBHOOK_TEST:
            _update_health(endpoint, succeeded=succeeded, disable_reason=disable_reason, now=now)
        if retry_at is not None:
            transaction.on_commit(lambda: _schedule_retry(delivery.pk, retry_at))
    logger.info("webhook delivery %s attempt %d: %s", delivery.pk, attempts, response.status if response else error)


def _update_health(endpoint, *, succeeded: bool, disable_reason: str, now) -> None:
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if succeeded:
        endpoints.update(last_success_at=now, consecutive_failures=0, failing_since=None)
        return
    endpoints.filter(failing_since__isnull=True).update(failing_since=now)
    endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
    if not disable_reason:
        # Set by the statement above when it was unset, so never None here.
        failing_since = endpoints.values_list("failing_since", flat=True).get() or now
        if now - failing_since >= timedelta(hours=settings.WEBHOOKS_DISABLE_AFTER_HOURS):
            disable_reason = gettext("Disabled after failing every delivery since %(since)s.") % {
                "since": failing_since.strftime("%Y-%m-%d %H:%M UTC")
            }
    if disable_reason:
        endpoints.filter(enabled=True).update(enabled=False, disabled_reason=disable_reason, updated_at=now)
        logger.warning("webhook endpoint %s disabled: %s", endpoint.public_id, disable_reason)


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


def _schedule_retry(delivery_id, retry_at) -> None:
    from identifications.tasks import deliver_webhook

    if deliver_webhook.get_backend().supports_defer:
        deliver_webhook.using(run_after=retry_at).enqueue(delivery_id)
    # A backend that cannot defer (the immediate one of the tests) leaves it to the sweeper.


def webhook_deliveries_sweep(*, now=None, overdue_by: timedelta = timedelta(seconds=30), limit: int = 1000) -> int:
    """Re-queue deliveries that are overdue and not held: their task was lost (a worker killed mid-delivery, whose
    lease has expired, or a process that died between commit and enqueue). Returns how many it re-queued; a
    delivery queued twice is sent once, as the claim lets only one worker hold it."""
    now = now or timezone.now()
    due = (
        WebhookDelivery.objects.filter(status=Delivery.PENDING, next_attempt_at__lte=now - overdue_by)
        .filter(Q(endpoint__enabled=True) | Q(event__type=Event.Type.WEBHOOK_TEST))
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(due)
    deliveries_enqueue(ids)
    return len(ids)
