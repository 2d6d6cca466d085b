"""Scoring providers: one interface, INTERNAL checks run here and EXTERNAL ones at the organization's service."""

import base64
import datetime
import logging
from dataclasses import asdict, dataclass

from scoring.checks import Declared, EvidenceMetadata, Outcome
from scoring.external import ScoringProviderUnavailable, score_externally
from scoring.internal import run_internal_checks, score
from scoring.models import Provider
from scoring.mrz_reader import MrzReading, read_mrz
from scoring.secrets import scoring_signing_secret

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    """What a provider scores: one validation of one identification."""

    identification_id: str
    number: int
    declared: Declared
    metadata: EvidenceMetadata
    evidence: bytes | None
    evidence_content_type: str
    today: datetime.date


class InternalProvider:
    def score(self, attempt: Attempt) -> Outcome:
        reading = read_evidence(attempt.evidence) if attempt.evidence is not None else None
        results = run_internal_checks(
            declared=attempt.declared,
            metadata=attempt.metadata,
            evidence_present=attempt.evidence is not None,
            today=attempt.today,
            evidence_reading=reading,
        )
        return Outcome(score=score(results), checks=results, evidence_mrz=reading.lines if reading else None)


def read_evidence(image: bytes) -> MrzReading:
    """The MRZ read off the image. Whatever the holder uploads, a reader that fails on it costs the attempt its
    check, never the request: the failure is logged (ids only, no image) and the image counts as unread."""
    try:
        return read_mrz(image)
    except Exception:
        logger.exception("the MRZ reader failed on an evidence image")
        return MrzReading(None, "the image could not be read")


class ExternalProvider:
    def __init__(self, organization):
        self.organization = organization

    def score(self, attempt: Attempt) -> Outcome:
        if not self.organization.scoring_url:
            raise ScoringProviderUnavailable("the organization has no scoring URL configured")
        return score_externally(
            url=self.organization.scoring_url,
            secret=scoring_signing_secret(self.organization),
            payload=external_payload(attempt),
        )


def external_payload(attempt: Attempt) -> dict:
    metadata = asdict(attempt.metadata)
    for key in ("birth_date", "expiry_date"):
        metadata[key] = metadata[key].isoformat() if metadata[key] else None
    metadata["mrz"] = list(metadata["mrz"]) if metadata["mrz"] else None
    return {
        "identification_id": attempt.identification_id,
        "attempt": attempt.number,
        "declared": asdict(attempt.declared),
        "evidence_metadata": metadata,
        "evidence": base64.b64encode(attempt.evidence).decode() if attempt.evidence else None,
        "evidence_content_type": attempt.evidence_content_type or None,
    }


def provider_for(identification):
    if identification.scoring_provider == Provider.EXTERNAL:
        return ExternalProvider(identification.organization)
    return InternalProvider()


__all__ = ["Attempt", "Outcome", "ScoringProviderUnavailable", "provider_for"]
