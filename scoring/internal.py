"""The INTERNAL scoring provider: deterministic checks of the declared identity against the evidence.

Every check is always reported, in ``Check`` order; a check whose inputs are missing fails and says what
is missing. Reasons reach API responses and logs, so they never quote the person's document number,
names or dates.
"""

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from stdnum.es import dni, nie
from stdnum.exceptions import InvalidChecksum, ValidationError

from identifications.documents import normalise_document_number
from scoring.checks import DEFAULT_WEIGHTS, NIE, NIF, PASSPORT, Check, CheckResult, Declared, EvidenceMetadata
from scoring.mrz import MRZ, MRZError, alpha3_to_alpha2, parse
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


def _number(value: str | None) -> str | None:
    """The number as it is stored (identifications.documents), or None when there is none to compare."""
    return (normalise_document_number(value) or None) if value else None


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
    number = _number(inputs.declared.document_number) or _number(inputs.metadata.document_number)
    document_type = _code(inputs.declared.document_type) or _code(inputs.metadata.document_type)
    if document_type is None:
        return False, "no document type was declared or read off the document"
    if document_type == PASSPORT:
        return True, "passport numbers carry no control character"
    rule = {NIF: dni, NIE: nie}.get(document_type)
    if rule is None:
        return False, "there is no control character rule for this document type"
    if number is None:
        return False, "no document number was declared or read off the document"
    try:
        rule.validate(number)
    except InvalidChecksum:
        return False, "the control letter does not match the number"
    except ValidationError:
        return False, f"the number is not in the {document_type} format"
    return True, "the control letter matches the number"


def _number_match(inputs: _Inputs) -> Outcome:
    declared, read = _number(inputs.declared.document_number), _number(inputs.metadata.document_number)
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


def _mrz_disagreements(inputs: _Inputs, mrz: MRZ) -> list[str]:
    declared, metadata = inputs.declared, inputs.metadata
    disagreements = []
    # Spanish ID cards hold the DNI number at the start of the optional data and the card's own
    # number in the document number field; Spanish passports also carry the DNI in the optional data.
    mrz_numbers = {mrz.document_number, mrz.optional_data.split("<")[0]} - {""}
    numbers = {_number(declared.document_number), _number(metadata.document_number)} - {None}
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
    if country is not None and country != _country(mrz.issuing_country):
        disagreements.append("issuing country")
    return disagreements


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
}


def run_internal_checks(
    *,
    declared: Declared,
    metadata: EvidenceMetadata,
    evidence_present: bool,
    today: datetime.date,
    weights: Mapping[Check, int] = DEFAULT_WEIGHTS,
) -> list[CheckResult]:
    """One result per ``Check``, in enum order. Checks missing from ``weights`` weigh 0."""
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
    inputs = _Inputs(declared, metadata, evidence_present, today, mrz, mrz_error)
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
