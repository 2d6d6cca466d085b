"""National identity numbers: each seeded document type's stdnum validator, its pattern and its normalisation."""

import datetime
import importlib

import pytest

from identifications.models import DocumentType
from identifications.models.document_type import NUMBER_VALIDATOR_LABELS, validate_regex
from scoring import national_numbers
from scoring.checks import Check, Declared, EvidenceMetadata
from scoring.internal import run_internal_checks

# Valid numbers as python-stdnum's documentation writes them (separators included), and a number each rejects.
EXAMPLES = {
    "es.dni": ("54362315-K", "54362315Z"),
    "es.nie": ("x-2482300w", "X2482300A"),
    "pt.cc": ("00000000 0 ZZ4", "000000000ZZ5"),
    "it.codicefiscale": ("RCCMNL83S18D969H", "RCCMNL83S18D969A"),
    "be.nn": ("85.07.30-033.28", "85073003329"),
    "nl.bsn": ("1112.22.333", "111252333"),
    "pl.pesel": ("44051401359", "44051401358"),
    "se.personnummer": ("880320-0016", "880320-0018"),
    "no.fodselsnummer": ("151086 95088", "15108695077"),
    "dk.cpr": ("211062-5629", "2110525629"),  # CPR has no checksum since 2007: this date does not exist
    "ee.ik": ("36805280109", "36805280108"),
    "lt.asmens": ("33309240064", "33309240164"),
    "ro.cnp": ("1630615123457", "1630615123458"),
    "bg.egn": ("8032056031", "8032056030"),
    "cz.rc": ("710319/2745", "7103192746"),
    "sk.rc": ("710319/2745", "7103192746"),
    "si.emso": ("0101006500006", "0101006500007"),
    "hr.oib": ("HR 33392005961", "33392005962"),
}


def test_every_validator_is_an_installed_stdnum_module_with_an_admin_label_and_examples():
    assert set(national_numbers.NUMBER_VALIDATORS) == set(NUMBER_VALIDATOR_LABELS) == set(EXAMPLES)
    for name in national_numbers.NUMBER_VALIDATORS:
        assert callable(importlib.import_module(f"stdnum.{name}").validate)


def control_character(number, validator, document_type="X"):
    declared = Declared(number, document_type, None, None, None, number_validator=validator)
    results = run_internal_checks(
        declared=declared,
        metadata=EvidenceMetadata(),
        evidence_present=False,
        today=datetime.date(2025, 6, 1),
    )
    return next(result for result in results if result.name == Check.DOCUMENT_CONTROL_CHARACTER)


@pytest.mark.parametrize(("validator", "valid", "invalid"), [(name, *pair) for name, pair in EXAMPLES.items()])
def test_the_control_character_check_uses_the_validator(validator, valid, invalid):
    passed = control_character(national_numbers.normalise_number(valid, validator), validator)
    failed = control_character(invalid, validator)
    assert (passed.passed, passed.reason) == (True, "the control character matches the number")
    assert failed.passed is False
    assert failed.reason in ("the control character does not match the number", "the number is not in the X format")


@pytest.mark.django_db
@pytest.mark.parametrize(("validator", "valid", "invalid"), [(name, *pair) for name, pair in EXAMPLES.items()])
def test_each_seeded_type_accepts_its_normalised_numbers(validator, valid, invalid):
    [document_type] = DocumentType.objects.filter(number_validator=validator)
    validate_regex(document_type.number_pattern)  # what the admin would ask of a pattern staff typed
    assert document_type.number_matches(document_type.normalise_number(valid))
    assert document_type.number_matches(document_type.normalise_number(invalid))  # the pattern is only the shape
    assert document_type.active == (validator in ("es.dni", "es.nie"))
    assert document_type.country.code == validator[:2].upper()


@pytest.mark.django_db
def test_the_passport_has_no_validator():
    assert DocumentType.objects.get(code="PASSPORT").number_validator == ""


@pytest.mark.parametrize(
    ("validator", "typed", "stored"),
    [
        ("se.personnummer", "880320-0016", "8803200016"),  # the hyphen goes, like everywhere else
        ("se.personnummer", "19880320-0016", "198803200016"),
        ("be.nn", "85.07.30-033.28", "85073003328"),  # dots are not the service's separators: compact drops them
        ("cz.rc", "710319/2745", "7103192745"),
        ("hr.oib", "HR 33392005961", "33392005961"),
        ("es.dni", "12345678-z", "12345678Z"),
        (None, "ab-12 34", "AB1234"),
        ("xx.unknown", "ab-12 34", "AB1234"),
    ],
)
def test_normalisation(validator, typed, stored):
    assert national_numbers.normalise_number(typed, validator) == stored


@pytest.mark.parametrize(
    ("validator", "number", "birth_date", "sex"),
    [
        ("pl.pesel", "44051401359", "1944-05-14", "M"),
        ("no.fodselsnummer", "15108695088", "1986-10-15", "F"),
        ("ro.cnp", "1630615123457", "1963-06-15", None),  # stdnum reads no sex from a CNP
        ("pl.pesel", "44051401358", None, None),  # an invalid number yields nothing
        ("es.dni", "54362315K", None, None),  # a DNI encodes neither
        (None, "44051401359", None, None),
    ],
)
def test_birth_date_and_sex_from_the_number(validator, number, birth_date, sex):
    born = national_numbers.birth_date(number, validator)
    assert (born.isoformat() if born else None, national_numbers.sex(number, validator)) == (birth_date, sex)
