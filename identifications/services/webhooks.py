"""Webhook endpoints, their signing secrets (Standard Webhooks), and the sweeper of lost deliveries.

Deliveries are sent by `webhook_delivery` (batches claimed with a lease, retries with backoff).
"""

import base64
import logging
import secrets
from datetime import timedelta

from cryptography.fernet import MultiFernet
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from identifications import outbound
from identifications.models import Event, WebhookDelivery, WebhookEndpoint
from identifications.secret_box import fernet_for
from identifications.services.events import deliveries_enqueue, event_payload

logger = logging.getLogger(__name__)

Delivery = WebhookDelivery.Status
PREVIOUS_SECRET_OVERLAP = timedelta(hours=24)


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
    return signing_secrets_of(
        secret_encrypted=endpoint.secret_encrypted,
        previous_secret_encrypted=endpoint.previous_secret_encrypted,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
        now=now,
    )


def signing_secrets_of(*, secret_encrypted: str, previous_secret_encrypted: str, previous_secret_expires_at, now):
    """`signing_secrets` from the endpoint's stored columns (a delivery batch reads them without the model)."""
    active = [_decrypt(secret_encrypted)]
    if previous_secret_encrypted and previous_secret_expires_at > now:
        active.append(_decrypt(previous_secret_encrypted))
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


# --- Delivery (identifications.services.webhook_delivery sends them) ------------------------------------------


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
