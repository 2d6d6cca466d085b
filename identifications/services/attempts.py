"""The holder's validation: one scoring attempt, and the transition it earns (PENDING -> VERIFIED | REJECTED)."""

import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from identifications.actors import Actor
from identifications.errors import IdentificationNotOpen
from identifications.models import Identification, IdentificationEvent
from identifications.services.events import events_record
from identifications.services.lifecycle import identification_expire_if_due
from scoring.checks import Declared, EvidenceMetadata
from scoring.models import ScoringAttempt
from scoring.providers import Attempt, Outcome, provider_for

logger = logging.getLogger(__name__)

Status = Identification.Status


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
    if identification.status != Status.PENDING:
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
        current = Identification.objects.values_list("status", flat=True).get(pk=identification.pk)
        if current == Status.PENDING:
            current = identification_expire_if_due(identification, now=now).status
        raise IdentificationNotOpen(current)
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
        if locked.status != Status.PENDING or locked.expires_at <= now:
            return None
        number = locked.attempts_used + 1
        passed = outcome_passes(outcome, configuration)
        if passed:
            status = Status.VERIFIED
        elif number >= configuration.maximum_attempts:
            status = Status.REJECTED
        else:
            status = Status.PENDING
        attempt.number = number
        attempt.passed = passed
        if evidence:
            attempt.evidence.save(f"evidence{evidence.extension}", ContentFile(evidence.content), save=False)
        attempt.save(force_insert=True)
        changes = {
            "attempts_used": number,
            "result": {"score": outcome.score, "passed": passed, "checks": attempt.checks},
            "status": status,
            "updated_at": now,
        }
        Identification.objects.filter(pk=identification.pk).update(**changes)
        for field, value in changes.items():
            setattr(identification, field, value)
        if status != Status.PENDING:
            IdentificationEvent.objects.create(
                identification_id=identification.pk,
                from_status=Status.PENDING,
                to_status=status,
                reason=f"Attempt {number} of {configuration.maximum_attempts} scored {outcome.score}.",
                created_at=now,
                **actor.event_fields(),
            )
        events_record(identification_id=identification.pk, from_status=Status.PENDING, to_status=status, now=now)
    logger.info("identification %s attempt %d scored %d (%s)", identification.pk, number, outcome.score, status.lower())
    return status


def outcome_passes(outcome: Outcome, configuration) -> bool:
    passed_checks = {check.name for check in outcome.checks if check.passed}
    required = set(configuration.required_checks)
    return outcome.score >= configuration.minimum_score and required <= passed_checks


def declared(identification: Identification) -> Declared:
    return Declared(
        document_number=identification.document_number,
        document_type=identification.document_type.code if identification.document_type_id else None,
        country=str(identification.document_country or "") or None,
        name=identification.name,
        last_name=identification.last_name,
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
