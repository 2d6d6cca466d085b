"""The holder's validation: one scoring attempt, and the transition it earns (PENDING -> VERIFIED | REJECTED)."""

import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from identifications.actors import Actor
from identifications.errors import IdentificationNotOpen
from identifications.models import Identification
from identifications.services.lifecycle import (
    identification_conclude_attempt,
    identification_expire_if_due,
    identification_settled_status,
)
from scoring.checks import Declared, EvidenceMetadata
from scoring.models import ScoringAttempt
from scoring.providers import Attempt, Outcome, provider_for

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
    content: bytes
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
) -> Identification:
    """Score one attempt and record it. Raises IdentificationNotOpen when the identification is not PENDING, and
    ScoringProviderUnavailable (nothing recorded, no attempt consumed) when the provider fails."""
    now = now or timezone.now()
    identification_expire_if_due(identification, now=now)
    if not identification.is_open:
        raise IdentificationNotOpen(identification.status)

    # Scored outside any transaction: an external provider may take seconds, and no lock is held meanwhile.
    outcome = provider_for(identification).score(
        Attempt(
            identification_id=str(identification.pk),
            number=identification.attempts_used + 1,
            declared=declared(identification),
            metadata=metadata,
            evidence=evidence.content if evidence else None,
            evidence_content_type=evidence.content_type if evidence else "",
            today=now.date(),
        )
    )
    attempt = ScoringAttempt(
        identification=identification,
        provider=identification.scoring_provider,
        score=outcome.score,
        checks=[check_as_dict(check) for check in outcome.checks],
        evidence_metadata=metadata_as_dict(metadata),
        evidence_mrz=list(outcome.evidence_mrz) if outcome.evidence_mrz else None,
        installation_id=device.installation_id,
        fingerprint=device.fingerprint,
        user_agent=device.user_agent,
        latitude=device.latitude,
        longitude=device.longitude,
        ip_address=device.ip_address,
        evidence_content_type=evidence.content_type if evidence else "",
        created_at=now,
    )
    try:
        status = _record(identification, attempt, outcome, evidence, actor=actor, now=now)
    except BaseException:
        # The file went to storage before the transaction failed; don't leave it behind.
        if attempt.evidence.name:
            attempt.evidence.storage.delete(attempt.evidence.name)
        raise
    if status is None:
        # Another request ended it (or it expired) while we were scoring.
        raise IdentificationNotOpen(identification_settled_status(identification.pk, now=now))
    return identification


def _record(identification, attempt, outcome: Outcome, evidence, *, actor, now):
    configuration = identification.configuration
    with transaction.atomic():
        # The row lock makes concurrent attempts take turns: each sees the count the previous one left.
        locked = (
            Identification.objects.select_for_update()
            .only("status", "expires_at", "attempts_used")
            .get(pk=identification.pk)
        )
        if not locked.is_open_at(now):
            return None
        number = locked.attempts_used + 1
        passed = configuration.passes(outcome, evidence_presented=evidence is not None)
        attempt.number = number
        attempt.passed = passed
        if evidence:
            attempt.evidence.save(f"evidence{evidence.extension}", ContentFile(evidence.content), save=False)
        attempt.save(force_insert=True)
        changes = {
            "attempts_used": number,
            "result": {"score": outcome.score, "passed": passed, "checks": attempt.checks},
        }
        status = identification_conclude_attempt(
            identification=locked,
            passed=passed,
            maximum_attempts=configuration.maximum_attempts,
            reason=f"Attempt {number} of {configuration.maximum_attempts} scored {outcome.score}.",
            actor=actor,
            now=now,
            changes=changes,
        )
        for field, value in {**changes, "status": status, "updated_at": now}.items():
            setattr(identification, field, value)
    logger.info("identification %s attempt %d scored %d (%s)", identification.pk, number, outcome.score, status.lower())
    return status


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
