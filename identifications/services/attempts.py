"""The holder's validation: one attempt stored for the worker to score (services/attempt_scoring.py scores it and
records the transition it earns, PENDING -> VERIFIED | REJECTED)."""

import datetime
import logging
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from identifications.actors import Actor
from identifications.errors import AttemptInProgress, IdentificationNotOpen
from identifications.models import Identification
from identifications.services.lifecycle import identification_expire_if_due, identification_settled_status
from scoring.checks import Declared, EvidenceMetadata
from scoring.models import ScoringAttempt

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceContext:
    installation_id: str
    fingerprint: str
    user_agent: str
    latitude: float | None = None
    longitude: float | None = None
    ip_address: str | None = None


@dataclass(frozen=True)
class Evidence:
    # Not in the repr: an identity document's image has no place in a log line or a traceback, and printing it
    # would take ~0.5 ms per 100 KB.
    content: bytes = field(repr=False)
    content_type: str  # image/png or image/jpeg, as sniffed from the bytes
    extension: str


def identification_validate(
    *,
    identification: Identification,
    actor: Actor,
    device: DeviceContext,
    metadata: EvidenceMetadata,
    evidence: Evidence | None = None,
    now=None,
) -> ScoringAttempt:
    """Store one attempt (evidence included) as PROCESSING and queue its scoring; no scoring happens here, the
    worker's `score_attempt` task does it (services/attempt_scoring.py). Raises IdentificationNotOpen when the
    identification is not PENDING and AttemptInProgress while the previous attempt is still being scored."""
    now = now or timezone.now()
    identification_expire_if_due(identification, now=now)
    if not identification.is_open:
        raise IdentificationNotOpen(identification.status)
    if identification.attempt_processing:
        raise AttemptInProgress()
    attempt = ScoringAttempt(
        identification=identification,
        provider=identification.scoring_provider,
        state=ScoringAttempt.State.PROCESSING,
        evidence_metadata=metadata_as_dict(metadata),
        installation_id=device.installation_id,
        fingerprint=device.fingerprint,
        user_agent=device.user_agent,
        latitude=device.latitude,
        longitude=device.longitude,
        ip_address=device.ip_address,
        evidence_content_type=evidence.content_type if evidence else "",
        created_at=now,
        next_try_at=now,
        actor_type=actor.type,
        actor=actor.name,
    )
    try:
        stored = _store(identification, attempt, evidence, now=now)
    except BaseException:
        # The file went to storage before the transaction failed; don't leave it behind.
        if attempt.evidence.name:
            attempt.evidence.storage.delete(attempt.evidence.name)
        raise
    if not stored:
        # Another request ended it (or it expired) since it was read.
        raise IdentificationNotOpen(identification_settled_status(identification.pk, now=now))
    logger.info("identification %s attempt %d stored for scoring", identification.pk, attempt.number)
    return attempt


def _store(identification, attempt: ScoringAttempt, evidence: Evidence | None, *, now) -> bool:
    with transaction.atomic():
        number = _claim_attempt_number(identification, now=now)
        if number is None:
            return False
        attempt.number = number
        if evidence:
            attempt.evidence.save(f"evidence{evidence.extension}", ContentFile(evidence.content), save=False)
        attempt.save(force_insert=True)
        identification.attempt_processing, identification.updated_at = True, now
        # In the same transaction: with the database queue (django-tasks-db) the task row commits with the attempt,
        # so a worker never sees an attempt that may still roll back and an attempt is never stored without its
        # task. (The tests' immediate backend scores right here, inside this transaction.)
        attempt_scoring_enqueue(attempt.pk)
    return True


def _claim_attempt_number(identification, *, now) -> int | None:
    """Mark the identification as processing an attempt and return that attempt's number; None if it is no longer
    open. Raises AttemptInProgress while another attempt is being scored. Call inside the transaction that stores
    the attempt: the row stays locked until it commits, so concurrent validations take turns and the second sees
    the first one processing."""
    # One statement when the row is still as it was read (almost always): open, idle, the same attempts used.
    claimed = (
        Identification.objects.open(now)
        .filter(pk=identification.pk, attempt_processing=False, attempts_used=identification.attempts_used)
        .update(attempt_processing=True, updated_at=now)
    )
    if claimed:
        return identification.attempts_used + 1
    # It changed since it was read (an attempt scored, closed, expired, another validation in): the locked row
    # says how.
    locked = (
        Identification.objects.select_for_update()
        .only("status", "expires_at", "attempts_used", "attempt_processing")
        .get(pk=identification.pk)
    )
    if not locked.is_open_at(now):
        return None
    if locked.attempt_processing:
        raise AttemptInProgress()
    Identification.objects.filter(pk=identification.pk).update(attempt_processing=True, updated_at=now)
    return locked.attempts_used + 1


def declared(identification: Identification) -> Declared:
    return Declared(
        document_number=identification.document_number,
        document_type=identification.document_type.code if identification.document_type_id else None,
        country=str(identification.document_country or "") or None,
        name=identification.name,
        last_name=identification.last_name,
        number_validator=(identification.document_type.number_validator or None)
        if identification.document_type_id
        else None,
    )


def check_as_dict(check) -> dict:
    return {"name": check.name, "passed": check.passed, "weight": check.weight, "reason": check.reason}


def metadata_as_dict(metadata: EvidenceMetadata) -> dict:
    return {
        "document_number": metadata.document_number,
        "document_type": metadata.document_type,
        "country": metadata.country,
        "name": metadata.name,
        "last_name": metadata.last_name,
        "birth_date": metadata.birth_date.isoformat() if metadata.birth_date else None,
        "expiry_date": metadata.expiry_date.isoformat() if metadata.expiry_date else None,
        "mrz": list(metadata.mrz) if metadata.mrz else None,
    }


def metadata_from_dict(stored: dict) -> EvidenceMetadata:
    """The stored `evidence_metadata` back as what the providers score (the worker's side of `metadata_as_dict`)."""

    def date(value):
        return datetime.date.fromisoformat(value) if value else None

    return EvidenceMetadata(
        document_number=stored.get("document_number"),
        document_type=stored.get("document_type"),
        country=stored.get("country"),
        name=stored.get("name"),
        last_name=stored.get("last_name"),
        birth_date=date(stored.get("birth_date")),
        expiry_date=date(stored.get("expiry_date")),
        mrz=tuple(stored["mrz"]) if stored.get("mrz") else None,
    )


def attempt_scoring_enqueue(attempt_id: int, *, run_after=None) -> None:
    from identifications.tasks import score_attempt

    if run_after is None:
        score_attempt.enqueue(attempt_id)
    elif score_attempt.get_backend().supports_defer:
        score_attempt.using(run_after=run_after).enqueue(attempt_id)
    # A backend that cannot defer (the tests' immediate one) leaves the retry to the sweeper.
