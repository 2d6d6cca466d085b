"""Names, weights and value types of the internal scoring checks.

Pure Python: the Django app stores check names (``Check`` values) in configurations as "required checks",
so the values below are a stable contract and must not be renamed.
"""

import datetime
import enum
from dataclasses import dataclass


class Check(enum.StrEnum):
    DOCUMENT_CONTROL_CHARACTER = "document_control_character"
    DOCUMENT_NUMBER_MATCH = "document_number_match"
    DOCUMENT_TYPE_MATCH = "document_type_match"
    COUNTRY_MATCH = "country_match"
    NAME_MATCH = "name_match"
    DOCUMENT_NOT_EXPIRED = "document_not_expired"
    MRZ_VALID = "mrz_valid"
    EVIDENCE_PRESENT = "evidence_present"
    MRZ_READ_FROM_EVIDENCE = "mrz_read_from_evidence"


# Checks that tie the document to the declared identity weigh most; evidence presence alone proves little.
# They sum to 100, so a score is the sum of the weights that passed. The MRZ read off the image weighs most: it is
# the only check that does not take the holder's app at its word.
DEFAULT_WEIGHTS: dict[Check, int] = {
    Check.DOCUMENT_CONTROL_CHARACTER: 10,
    Check.DOCUMENT_NUMBER_MATCH: 15,
    Check.DOCUMENT_TYPE_MATCH: 5,
    Check.COUNTRY_MATCH: 5,
    Check.NAME_MATCH: 15,
    Check.DOCUMENT_NOT_EXPIRED: 10,
    Check.MRZ_VALID: 15,
    Check.EVIDENCE_PRESENT: 5,
    Check.MRZ_READ_FROM_EVIDENCE: 20,
}

# The passport's DocumentType code: its numbers carry no control character.
PASSPORT = "PASSPORT"


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    weight: int
    # Ends up in API responses and logs: never the person's number, names or dates.
    reason: str


@dataclass(frozen=True)
class Outcome:
    """What any provider answers for one attempt: the 0-100 score and the checks behind it."""

    score: int
    checks: list[CheckResult]
    # The MRZ lines INTERNAL read off the evidence image, when it read any (personal data: redaction erases it).
    evidence_mrz: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Declared:
    """What the client declared when opening the identification."""

    document_number: str | None
    document_type: str | None
    country: str | None
    name: str | None
    last_name: str | None
    # The document type's python-stdnum module ("es.dni", scoring.national_numbers); None when it has none.
    number_validator: str | None = None


@dataclass(frozen=True)
class EvidenceMetadata:
    """What was read off the document (by OCR or staff); every field is optional."""

    document_number: str | None = None
    document_type: str | None = None
    country: str | None = None
    name: str | None = None
    last_name: str | None = None
    birth_date: datetime.date | None = None
    expiry_date: datetime.date | None = None
    mrz: tuple[str, ...] | None = None
