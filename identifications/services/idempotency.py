"""Idempotency keys (Stripe/Persona style): a POST retried with the same `Idempotency-Key` runs once.

The first request with a key claims it by inserting an IdempotencyRecord in its own short transaction, where the
unique (organization, key) constraint decides races; a holder's keys are stored scoped (scoped_key), so the
constraint needs no migration to keep them apart from the organization's. When the request ends below 500 its
response is stored and replayed for 24 hours to the same request (method, path and body); a 5xx or an exception
deletes the claim so that the client can retry. Requests without the header never reach this module.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import InvalidToken, MultiFernet
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from identifications.errors import DomainError
from identifications.models import IdempotencyRecord, Organization
from identifications.secret_box import fernet_for

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
SUBJECT_MAX_LENGTH = 64
PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]+$")
LIFETIME = timedelta(hours=24)
# An in-progress claim this old belongs to a request that cannot still be running (gunicorn kills a worker after
# 30 s, config/gunicorn.conf.py): its process died, or lost the database, between claiming and recording, so the
# next retry takes the claim over instead of answering 409 for a day. Twice the worker timeout: a client told to
# retry after a 503 is not locked out for long.
ABANDONED_AFTER = timedelta(seconds=60)
State = IdempotencyRecord.State


class InvalidIdempotencyKey(DomainError):
    def __init__(self, message: str, code: str):
        super().__init__(message, field=HEADER)
        self.code = code


class IdempotencyKeyInUse(DomainError):
    status_code = 409
    code = "idempotency_key_in_use"

    def __init__(self):
        super().__init__(
            gettext("A request with this Idempotency-Key is still being processed; retry once it has finished.")
        )


class IdempotencyKeyReused(DomainError):
    status_code = 422
    code = "idempotency_key_reused"

    def __init__(self, message: str = ""):
        super().__init__(
            message
            or gettext(
                "This Idempotency-Key was already used for a different request (method, path or body); "
                "use a new key for a new request."
            )
        )


@dataclass(frozen=True)
class Claim:
    """This request holds the key: it runs, then records its response or releases the key."""

    record_id: int


@dataclass(frozen=True)
class Replay:
    """The stored response of the first request with this key."""

    status: int
    content_type: str
    body: bytes


def validate_key(value: str) -> str:
    if len(value) > MAX_KEY_LENGTH:
        raise InvalidIdempotencyKey(
            gettext("Ensure this header has no more than %(max_length)s characters.") % {"max_length": MAX_KEY_LENGTH},
            "max_length",
        )
    if not PRINTABLE_ASCII.match(value):
        raise InvalidIdempotencyKey(gettext("Must be 1 to 255 printable ASCII characters."), "invalid")
    return value


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    body_hash = hashlib.sha256(body).hexdigest()
    return hashlib.sha256(f"{method.upper()}\n{path}\n{body_hash}".encode()).hexdigest()


def scoped_key(key: str, scope: str = "") -> str:
    """The key as stored: the organization's own keys as sent (scope ""), a holder's apart from them, so that a
    holder cannot burn a key string the organization will use later, nor another holder's.

    Scoped keys start with "§", which validate_key never lets a client send (printable ASCII only): no key an
    organization sends can equal one. The sent key is hashed so that the scope always fits the 255-character column.
    """
    if not scope:
        return key
    return f"§{scope}:{hashlib.sha256(key.encode()).hexdigest()}"


def idempotency_claim(
    *, organization: Organization, key: str, fingerprint: str, scope: str = "", now=None
) -> Claim | Replay:
    """Claim `key` for this request, or return the response to replay. Raises IdempotencyKeyReused (another request
    used the key) or IdempotencyKeyInUse (the first request with the key is still running). `scope`: whose key it
    is within the organization ("" for the organization's API keys; see scoped_key)."""
    now = now or timezone.now()
    key = scoped_key(key, scope)
    # A claim can vanish between our failed INSERT and our read (released after a 5xx, or expired and deleted):
    # then the INSERT is simply tried again.
    for _ in range(3):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    organization=organization,
                    key=key,
                    request_fingerprint=fingerprint,
                    created_at=now,
                    updated_at=now,
                    expires_at=now + LIFETIME,
                )
            return Claim(record.pk)
        except IntegrityError:
            pass
        existing = IdempotencyRecord.objects.filter(organization=organization, key=key).first()
        if existing is None:
            continue
        if existing.expires_at <= now:
            IdempotencyRecord.objects.filter(pk=existing.pk, expires_at__lte=now).delete()
            continue
        if existing.request_fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if existing.state == State.COMPLETED:
            return _replay(existing)
        if existing.updated_at <= now - ABANDONED_AFTER and _take_over(existing, now):
            return Claim(existing.pk)
        raise IdempotencyKeyInUse()
    raise IdempotencyKeyInUse()


def _take_over(record: IdempotencyRecord, now) -> bool:
    # Conditional on the timestamp we read: of two retries taking over at once, one wins.
    return bool(
        IdempotencyRecord.objects.filter(pk=record.pk, state=State.IN_PROGRESS, updated_at=record.updated_at).update(
            updated_at=now
        )
    )


def idempotency_complete(
    *, claim: Claim, status: int, content_type: str, body: bytes, subject: str = "", now=None
) -> None:
    """Store the response for replay; a 5xx is not stored but releases the key, so that a retry runs again.
    `subject`: the id of the identification the request was about, if any."""
    if status >= 500:
        idempotency_release(claim=claim)
        return
    IdempotencyRecord.objects.filter(pk=claim.record_id, state=State.IN_PROGRESS).update(
        state=State.COMPLETED,
        response_status=status,
        response_content_type=content_type,
        response_body=_encrypt(body),
        subject=subject if len(subject) <= SUBJECT_MAX_LENGTH else "",
        updated_at=now or timezone.now(),
    )


def idempotency_release(*, claim: Claim) -> None:
    IdempotencyRecord.objects.filter(pk=claim.record_id, state=State.IN_PROGRESS).delete()


def idempotency_forget_subject(*, subject) -> int:
    """Delete the stored responses about one identification; returns how many. For erasing its personal data: its
    create response, replayable for 24 hours, quotes the person's data and the holder's client secret. A retry of
    that create with its old key then runs again, as after the 24 hours."""
    return IdempotencyRecord.objects.filter(subject=str(subject)).delete()[0]


def idempotency_purge_expired(*, now=None, batch_size: int = 1000) -> int:
    """Delete expired records in batches (short statements, no long lock on the table); returns how many."""
    now = now or timezone.now()
    deleted = 0
    while True:
        batch = list(IdempotencyRecord.objects.filter(expires_at__lte=now).values_list("pk", flat=True)[:batch_size])
        if not batch:
            return deleted
        deleted += IdempotencyRecord.objects.filter(pk__in=batch, expires_at__lte=now).delete()[0]


def _replay(record: IdempotencyRecord) -> Replay:
    try:
        body = _decrypt(record.response_body)
    except InvalidToken:
        # SECRET_KEY changed without the old one in SECRET_KEY_FALLBACKS: the stored response is unreadable, and
        # running the request again could do it twice.
        logger.warning("idempotency record %s cannot be decrypted (SECRET_KEY rotated?)", record.pk)
        raise IdempotencyKeyReused(
            gettext("The response stored for this Idempotency-Key can no longer be replayed; use a new key.")
        ) from None
    # Only completed records are replayed, and completing one sets its status.
    assert record.response_status is not None
    return Replay(status=record.response_status, content_type=record.response_content_type, body=body)


# The key salt is the module's name when the first replays were stored (identifications/idempotency.py): a literal,
# so that moving the module (as it moved to services/) never makes stored replays undecryptable.
KEY_SALT = "identifications.idempotency"


def _fernet() -> MultiFernet:
    return fernet_for(KEY_SALT, "response-body")


def _encrypt(body: bytes) -> str:
    return _fernet().encrypt(body).decode("ascii") if body else ""


def _decrypt(token: str) -> bytes:
    return _fernet().decrypt(token.encode("ascii")) if token else b""
