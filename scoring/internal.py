"""The INTERNAL scoring provider: deterministic checks of the declared identity against the evidence.

All but one compare what the client declared with what the holder's app says it read off the document. The
exception, ``mrz_read_from_evidence``, takes no one's word for it: it checks the MRZ read off the evidence image
itself (scoring.mrz_reader; the provider reads it and passes the reading in) against the declared identity.

Every check is always reported, in ``Check`` order; a check whose inputs are missing fails and says what
is missing. Reasons reach API responses and logs, so they never quote the person's document number,
names or dates.
"""

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from stdnum.exceptions import InvalidChecksum, ValidationError

from scoring import national_numbers
from scoring.checks import DEFAULT_WEIGHTS, PASSPORT, Check, CheckResult, Declared, EvidenceMetadata
from scoring.mrz import MRZ, MRZError, alpha3_to_alpha2, parse
from scoring.mrz_reader import MrzReading
from scoring.names import names_match

Outcome = tuple[bool, str]


@dataclass(frozen=True)
class _Inputs:
    declared: Declared
    metadata: EvidenceMetadata
    evidence_present: bool
    today: datetime.date
    mrz: MRZ | None
    mrz_error: str | None
    evidence_reading: MrzReading | None

    def number(self, value: str | None) -> str | None:
        """The number as it is stored (in the declared type's compact form), or None when there is none to compare."""
        return (national_numbers.normalise_number(value, self.declared.number_validator) or None) if value else None


def _code(value: str | None) -> str | None:
    return (value.strip().upper() or None) if value else None


def _country(value: str | None) -> str | None:
    """Alpha-2 where possible, so "ES", "es" and an MRZ's "ESP" all compare equal."""
    code = (_code(value) or "").replace("<", "")
    if len(code) in (1, 3):
        return alpha3_to_alpha2(code) or code
    return code or None


def _control_character(inputs: _Inputs) -> Outcome:
    # The declared number is what the identification is about; the read one is only a fallback.
    number = inputs.number(inputs.declared.document_number) or inputs.number(inputs.metadata.document_number)
    document_type = _code(inputs.declared.document_type) or _code(inputs.metadata.document_type)
    if document_type is None:
        return False, "no document type was declared or read off the document"
    validator = inputs.declared.number_validator
    if not validator:
        # Staff leave the validator blank for documents whose numbers have no control character.
        if document_type == PASSPORT:
            return True, "passport numbers carry no control character"
        return True, "numbers of this document type carry no control character"
    if number is None:
        return False, "no document number was declared or read off the document"
    try:
        national_numbers.validator_module(validator).validate(number)
    except national_numbers.UnknownValidator:
        return False, "there is no control character rule for this document type"
    except InvalidChecksum:
        return False, "the control character does not match the number"
    except ValidationError:
        return False, f"the number is not in the {document_type} format"
    return True, "the control character matches the number"


def _number_match(inputs: _Inputs) -> Outcome:
    declared, read = inputs.number(inputs.declared.document_number), inputs.number(inputs.metadata.document_number)
    if declared is None:
        return False, "no document number was declared"
    if read is None:
        return False, "no document number was read off the document"
    if declared != read:
        return False, "the document number read off the document differs from the declared one"
    return True, "the document number matches the declared one"


def _type_match(inputs: _Inputs) -> Outcome:
    declared, read = _code(inputs.declared.document_type), _code(inputs.metadata.document_type)
    if declared is None:
        return False, "no document type was declared"
    if read is None:
        return False, "no document type was read off the document"
    if declared != read:
        return False, "the document type differs from the declared one"
    return True, "the document type matches the declared one"


def _country_match(inputs: _Inputs) -> Outcome:
    declared, read = _country(inputs.declared.country), _country(inputs.metadata.country)
    if read is None:
        return False, "no country was read off the document"
    if declared is None:
        return False, "no country was declared"
    if declared != read:
        return False, "the country differs from the declared one"
    return True, "the country matches the declared one"


def _name_match(inputs: _Inputs) -> Outcome:
    return names_match(
        declared_name=inputs.declared.name,
        declared_last_name=inputs.declared.last_name,
        read_name=inputs.metadata.name,
        read_last_name=inputs.metadata.last_name,
    )


def _not_expired(inputs: _Inputs) -> Outcome:
    expiry = inputs.metadata.expiry_date
    # An MRZ expiry date is only trusted when its own check digit holds.
    if expiry is None and inputs.mrz is not None and "expiry_date" not in inputs.mrz.invalid_fields:
        expiry = inputs.mrz.expiry_date
    if expiry is None:
        return False, "no expiry date was read off the document"
    if expiry < inputs.today:
        return False, "the document has expired"
    return True, "the document has not expired"


def _same_day(a: datetime.date | None, b: datetime.date | None) -> bool:
    # MRZ years have two digits, so the century is a guess: compare without it.
    return a is not None and b is not None and (a.year % 100, a.month, a.day) == (b.year % 100, b.month, b.day)


def _mrz_disagreements(inputs: _Inputs, mrz: MRZ, *, nationality_counts: bool = False) -> list[str]:
    """What in ``mrz`` contradicts the declared identity or the metadata: field names, never values.

    With ``nationality_counts``, a nationality equal to the declared country is as good as the issuing state
    (a document issued abroad, by a consulate for instance, still names its holder's nationality)."""
    declared, metadata = inputs.declared, inputs.metadata
    disagreements = []
    # Spanish ID cards hold the DNI number at the start of the optional data and the card's own
    # number in the document number field; Spanish passports also carry the DNI in the optional data.
    mrz_numbers = {mrz.document_number, mrz.optional_data.split("<")[0]} - {""}
    numbers = {inputs.number(declared.document_number), inputs.number(metadata.document_number)} - {None}
    if not numbers <= mrz_numbers:
        disagreements.append("document number")
    people = [(declared.name, declared.last_name), (metadata.name, metadata.last_name)]
    person = next(((name, last) for name, last in people if name and last), None)
    if person is not None:
        passed, _ = names_match(
            declared_name=person[0],
            declared_last_name=person[1],
            read_name=mrz.given_names,
            read_last_name=mrz.surnames,
        )
        if not passed:
            disagreements.append("name")
    if metadata.birth_date is not None and not _same_day(metadata.birth_date, mrz.birth_date):
        disagreements.append("birth date")
    if metadata.expiry_date is not None and not _same_day(metadata.expiry_date, mrz.expiry_date):
        disagreements.append("expiry date")
    country = _country(declared.country) or _country(metadata.country)
    mrz_countries = {_country(mrz.issuing_country)} | ({_country(mrz.nationality)} if nationality_counts else set())
    if country is not None and country not in mrz_countries:
        disagreements.append("issuing country")
    return disagreements


def _national_number_disagreements(inputs: _Inputs, mrz: MRZ) -> list[str]:
    """Birth date and sex encoded in the declared national number (where its stdnum module reads them) against
    the MRZ's: a check digit cannot tell a valid number of someone else from the holder's own."""
    number, validator = inputs.number(inputs.declared.document_number), inputs.declared.number_validator
    if number is None or not validator:
        return []
    disagreements = []
    born = national_numbers.birth_date(number, validator)
    if born is not None and mrz.birth_date is not None and not _same_day(born, mrz.birth_date):
        disagreements.append("birth date in the national number")
    sex = national_numbers.sex(number, validator)
    if sex is not None and mrz.sex in ("M", "F") and sex != mrz.sex:
        disagreements.append("sex in the national number")
    return disagreements


def _same_lines(a: Sequence[str], b: Sequence[str]) -> bool:
    def normalised(lines: Sequence[str]) -> list[str]:
        return [line.strip().upper() for line in lines if line.strip()]

    return normalised(a) == normalised(b)


def _evidence_disagreements(inputs: _Inputs, mrz: MRZ, read_lines: Sequence[str]) -> list[str]:
    """Every cross-check of the MRZ read off the image that fails, by name (the reason lists them)."""
    disagreements = []
    if inputs.metadata.mrz and not _same_lines(inputs.metadata.mrz, read_lines):
        disagreements.append("MRZ sent by the app")
    disagreements += _mrz_disagreements(inputs, mrz, nationality_counts=True)
    disagreements += _national_number_disagreements(inputs, mrz)
    return disagreements


# The reason's prefix when cross-checks fail; the names listed after it are field names, never values.
EVIDENCE_DISAGREES_ON = "the MRZ read off the evidence image disagrees on: "


def evidence_disagreements(reason: str) -> list[str]:
    """The failed cross-checks a ``mrz_read_from_evidence`` reason lists (empty for any other reason)."""
    if not reason.startswith(EVIDENCE_DISAGREES_ON):
        return []
    return [name for name in reason[len(EVIDENCE_DISAGREES_ON) :].split(", ") if name]


def _mrz_read_from_evidence(inputs: _Inputs) -> Outcome:
    if not inputs.evidence_present:
        return False, "no evidence was supplied"
    reading = inputs.evidence_reading
    if reading is None or not reading.lines:
        problem = reading.problem if reading is not None and reading.problem else "nothing was read"
        return False, f"no MRZ was read off the evidence image: {problem}"
    try:
        mrz = parse(reading.lines, today=inputs.today)
    except MRZError:
        return False, "the MRZ read off the evidence image is malformed"
    if not mrz.check_digits_valid:
        return False, "the check digits of the MRZ read off the evidence image fail"
    disagreements = _evidence_disagreements(inputs, mrz, reading.lines)
    if disagreements:
        return False, EVIDENCE_DISAGREES_ON + ", ".join(disagreements)
    return True, "the MRZ read off the evidence image is valid and agrees with the declared identity"


def _mrz_valid(inputs: _Inputs) -> Outcome:
    if inputs.mrz_error is not None:
        return False, f"the MRZ is malformed: {inputs.mrz_error}"
    if inputs.mrz is None:
        return False, "no MRZ was read off the document"
    if not inputs.mrz.check_digits_valid:
        fields = ", ".join(field.replace("_", " ") for field in inputs.mrz.invalid_fields)
        return False, f"the MRZ check digits fail for: {fields}"
    disagreements = _mrz_disagreements(inputs, inputs.mrz)
    if disagreements:
        return False, f"the MRZ disagrees with the declared or read data on: {', '.join(disagreements)}"
    return True, "the MRZ check digits are valid and its fields agree with the declared and read data"


def _evidence_present(inputs: _Inputs) -> Outcome:
    if not inputs.evidence_present:
        return False, "no evidence was supplied"
    return True, "evidence was supplied"


_CHECKS: dict[Check, Callable[[_Inputs], Outcome]] = {
    Check.DOCUMENT_CONTROL_CHARACTER: _control_character,
    Check.DOCUMENT_NUMBER_MATCH: _number_match,
    Check.DOCUMENT_TYPE_MATCH: _type_match,
    Check.COUNTRY_MATCH: _country_match,
    Check.NAME_MATCH: _name_match,
    Check.DOCUMENT_NOT_EXPIRED: _not_expired,
    Check.MRZ_VALID: _mrz_valid,
    Check.EVIDENCE_PRESENT: _evidence_present,
    Check.MRZ_READ_FROM_EVIDENCE: _mrz_read_from_evidence,
}


def run_internal_checks(
    *,
    declared: Declared,
    metadata: EvidenceMetadata,
    evidence_present: bool,
    today: datetime.date,
    evidence_reading: MrzReading | None = None,
    weights: Mapping[Check, int] = DEFAULT_WEIGHTS,
) -> list[CheckResult]:
    """One result per ``Check``, in enum order. Checks missing from ``weights`` weigh 0.

    ``evidence_reading`` is what scoring.mrz_reader read off the evidence image (None when nothing was read or
    there was no evidence): the OCR happens in the provider, so these checks stay pure and fast to test."""
    # Keyed by value so weights loaded from JSON with plain string keys work too.
    weight_of = {str(check): weight for check, weight in weights.items()}
    if any(not isinstance(weight, int) or weight < 0 for weight in weight_of.values()):
        raise ValueError("check weights must be non-negative integers")
    mrz = mrz_error = None
    if metadata.mrz:
        try:
            mrz = parse(metadata.mrz, today=today)
        except MRZError as error:
            mrz_error = str(error)
    inputs = _Inputs(declared, metadata, evidence_present, today, mrz, mrz_error, evidence_reading)
    results = []
    for check in Check:
        passed, reason = _CHECKS[check](inputs)
        results.append(
            CheckResult(name=check.value, passed=passed, weight=weight_of.get(check.value, 0), reason=reason)
        )
    return results


def score(results: Sequence[CheckResult]) -> int:
    """Passed weight as a share of total weight, 0..100, rounded half up; 0 when nothing weighs."""
    total = sum(result.weight for result in results)
    if total <= 0:
        return 0
    passed = sum(result.weight for result in results if result.passed)
    return (200 * passed + total) // (2 * total)
