import dataclasses
import datetime
import subprocess
import sys
from pathlib import Path

import pytest

from scoring.checks import DEFAULT_WEIGHTS, Check, CheckResult, Declared, EvidenceMetadata
from scoring.internal import run_internal_checks, score
from scoring.mrz import check_digit
from scoring.mrz_reader import MrzReading

# The specimens of test_mrz.py (see there for their sources and the hand-computed Spanish check digits),
# repeated so this module does not depend on importing another test module.
TD3_SPECIMEN = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
TD1_SPECIMEN = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)
SPANISH_TD1 = (
    "IDESPCAB123456012345678Z<<<<<<",
    "8503127M3001019ESP<<<<<<<<<<<9",
    "GARCIA<MARQUEZ<<JOSE<MARIA<<<<",
)

TODAY = datetime.date(2025, 6, 1)

DECLARED = Declared(
    document_number="12345678Z",
    document_type="NIF",
    country="ES",
    name="José María",
    last_name="García Márquez",
    number_validator="es.dni",
)
METADATA = EvidenceMetadata(
    document_number="12345678Z",
    document_type="NIF",
    country="ES",
    name="JOSE MARIA",
    last_name="GARCIA MARQUEZ",
    birth_date=datetime.date(1985, 3, 12),
    expiry_date=datetime.date(2030, 1, 1),
    mrz=SPANISH_TD1,
)


# What the reader (scoring.mrz_reader) finds on a photo of the declared person's card.
READING = MrzReading(SPANISH_TD1, None)


def _run(declared=DECLARED, metadata=METADATA, evidence_present=True, today=TODAY, **kwargs):
    kwargs.setdefault("evidence_reading", READING if evidence_present else None)
    return run_internal_checks(
        declared=declared, metadata=metadata, evidence_present=evidence_present, today=today, **kwargs
    )


def _result(check, **changes):
    declared_changes = {k[9:]: v for k, v in changes.items() if k.startswith("declared_")}
    metadata_changes = {k: v for k, v in changes.items() if not k.startswith("declared_")}
    results = _run(
        declared=dataclasses.replace(DECLARED, **declared_changes),
        metadata=dataclasses.replace(METADATA, **metadata_changes),
    )
    return next(result for result in results if result.name == check)


def test_check_names_are_stable():
    # Stored in configurations as "required checks": renaming one breaks saved configurations.
    assert [check.value for check in Check] == [
        "document_control_character",
        "document_number_match",
        "document_type_match",
        "country_match",
        "name_match",
        "document_not_expired",
        "mrz_valid",
        "evidence_present",
        "mrz_read_from_evidence",
    ]


def test_default_weights_cover_every_check_and_sum_to_100():
    assert set(DEFAULT_WEIGHTS) == set(Check)
    assert sum(DEFAULT_WEIGHTS.values()) == 100
    assert all(weight > 0 for weight in DEFAULT_WEIGHTS.values())


def test_a_consistent_spanish_identity_passes_everything():
    results = _run()
    assert [result.name for result in results] == [check.value for check in Check]
    assert all(result.passed for result in results), [r for r in results if not r.passed]
    assert [result.weight for result in results] == [DEFAULT_WEIGHTS[check] for check in Check]
    assert score(results) == 100


def test_every_check_is_reported_even_with_no_inputs():
    results = _run(declared=Declared(None, None, None, None, None), metadata=EvidenceMetadata(), evidence_present=False)
    assert [result.name for result in results] == [check.value for check in Check]
    assert not any(result.passed for result in results)
    assert all(result.reason for result in results)
    assert score(results) == 0


@pytest.mark.parametrize(
    ("document_type", "validator", "number", "passed", "reason"),
    [
        ("NIF", "es.dni", "12345678Z", True, "the control character matches the number"),
        ("NIF", "es.dni", "12345678-z", True, "the control character matches the number"),
        ("NIF", "es.dni", "12345678A", False, "the control character does not match the number"),
        ("NIF", "es.dni", "1234", False, "the number is not in the NIF format"),
        ("NIE", "es.nie", "X1234567L", True, "the control character matches the number"),
        ("NIE", "es.nie", "X1234567A", False, "the control character does not match the number"),
        ("NIE", "es.nie", "12345678Z", False, "the number is not in the NIE format"),
        ("nie", "es.nie", "x1234567l", True, "the control character matches the number"),
        ("PL_PESEL", "pl.pesel", "44051401359", True, "the control character matches the number"),
        ("PL_PESEL", "pl.pesel", "44051401358", False, "the control character does not match the number"),
        ("BE_NN", "be.nn", "85.07.30-033.28", True, "the control character matches the number"),
        ("PASSPORT", None, "L898902C3", True, "passport numbers carry no control character"),
        ("DRIVING_LICENCE", None, "12345678Z", True, "numbers of this document type carry no control character"),
        (
            "DRIVING_LICENCE",
            "xx.unknown",
            "12345678Z",
            False,
            "there is no control character rule for this document type",
        ),
        ("NIF", "es.dni", None, False, "no document number was declared or read off the document"),
    ],
)
def test_control_character(document_type, validator, number, passed, reason):
    result = _result(
        Check.DOCUMENT_CONTROL_CHARACTER,
        declared_document_type=document_type,
        declared_number_validator=validator,
        declared_document_number=number,
        document_number=None,
    )
    assert (result.passed, result.reason) == (passed, reason)


def test_control_character_falls_back_to_what_was_read():
    result = _result(Check.DOCUMENT_CONTROL_CHARACTER, declared_document_number=None, declared_document_type=None)
    assert result.passed, result.reason
    missing = _result(Check.DOCUMENT_CONTROL_CHARACTER, declared_document_type=None, document_type=None)
    assert (missing.passed, missing.reason) == (
        False,
        "no document type was declared or read off the document",
    )


@pytest.mark.parametrize(
    ("declared", "read", "passed", "reason"),
    [
        ("12345678Z", " 12345678-z ", True, "the document number matches the declared one"),
        (
            "12345678Z",
            "12345679Z",
            False,
            "the document number read off the document differs from the declared one",
        ),
        (None, "12345678Z", False, "no document number was declared"),
        ("12345678Z", None, False, "no document number was read off the document"),
    ],
)
def test_document_number_match(declared, read, passed, reason):
    result = _result(Check.DOCUMENT_NUMBER_MATCH, declared_document_number=declared, document_number=read)
    assert (result.passed, result.reason) == (passed, reason)


@pytest.mark.parametrize(
    ("declared", "read", "passed", "reason"),
    [
        ("NIF", "nif", True, "the document type matches the declared one"),
        ("NIF", "PASSPORT", False, "the document type differs from the declared one"),
        (None, "NIF", False, "no document type was declared"),
        ("NIF", None, False, "no document type was read off the document"),
    ],
)
def test_document_type_match(declared, read, passed, reason):
    result = _result(Check.DOCUMENT_TYPE_MATCH, declared_document_type=declared, document_type=read)
    assert (result.passed, result.reason) == (passed, reason)


@pytest.mark.parametrize(
    ("declared", "read", "passed", "reason"),
    [
        ("ES", "es", True, "the country matches the declared one"),
        ("ES", "ESP", True, "the country matches the declared one"),
        ("DE", "D<<", True, "the country matches the declared one"),
        ("ES", "PT", False, "the country differs from the declared one"),
        ("ES", None, False, "no country was read off the document"),
        (None, None, False, "no country was read off the document"),
        (None, "ES", False, "no country was declared"),
    ],
)
def test_country_match(declared, read, passed, reason):
    result = _result(Check.COUNTRY_MATCH, declared_country=declared, country=read)
    assert (result.passed, result.reason) == (passed, reason)


def test_name_match_compares_declared_and_read_names():
    assert _result(Check.NAME_MATCH, name="JOSE MARIA", last_name="GARCIA").passed
    result = _result(Check.NAME_MATCH, name="JUAN", last_name="GARCIA MARQUEZ")
    assert (result.passed, result.reason) == (False, "the given name does not match")


@pytest.mark.parametrize(
    ("expiry", "passed", "reason"),
    [
        (datetime.date(2030, 1, 1), True, "the document has not expired"),
        (TODAY, True, "the document has not expired"),
        (TODAY - datetime.timedelta(days=1), False, "the document has expired"),
    ],
)
def test_document_not_expired(expiry, passed, reason):
    result = _result(Check.DOCUMENT_NOT_EXPIRED, expiry_date=expiry, mrz=None)
    assert (result.passed, result.reason) == (passed, reason)


def test_expiry_falls_back_to_the_mrz_only_when_its_check_digit_holds():
    assert _result(Check.DOCUMENT_NOT_EXPIRED, expiry_date=None).passed
    expired = _result(Check.DOCUMENT_NOT_EXPIRED, expiry_date=None, mrz=TD1_SPECIMEN)  # expired 2012
    assert (expired.passed, expired.reason) == (False, "the document has expired")
    broken = list(SPANISH_TD1)
    broken[1] = broken[1][:14] + "0" + broken[1][15:]
    result = _result(Check.DOCUMENT_NOT_EXPIRED, expiry_date=None, mrz=tuple(broken))
    assert (result.passed, result.reason) == (False, "no expiry date was read off the document")


def test_mrz_valid_needs_an_mrz():
    result = _result(Check.MRZ_VALID, mrz=None)
    assert (result.passed, result.reason) == (False, "no MRZ was read off the document")


def test_mrz_valid_reports_a_malformed_mrz():
    result = _result(Check.MRZ_VALID, mrz=SPANISH_TD1[:2])
    assert not result.passed
    assert result.reason.startswith("the MRZ is malformed: ")


def test_mrz_valid_names_the_failing_check_digits():
    broken = (SPANISH_TD1[0], SPANISH_TD1[1][:6] + "0" + SPANISH_TD1[1][7:], SPANISH_TD1[2])
    result = _result(Check.MRZ_VALID, mrz=broken)
    assert (result.passed, result.reason) == (False, "the MRZ check digits fail for: birth date, composite")


def test_mrz_valid_accepts_the_spanish_card_number_or_the_dni():
    # DNI 12345678Z is in the optional data, card number CAB123456 in the document number field.
    assert _result(Check.MRZ_VALID).passed
    assert _result(Check.MRZ_VALID, document_number="CAB123456").passed
    assert _result(Check.MRZ_VALID, declared_document_number="cab 123456", document_number=None).passed


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"declared_document_number": "87654321X"}, "document number"),
        ({"document_number": "1234567"}, "document number"),
        ({"declared_name": "Juan"}, "name"),
        ({"birth_date": datetime.date(1985, 3, 13)}, "birth date"),
        ({"expiry_date": datetime.date(2031, 1, 1)}, "expiry date"),
        ({"declared_country": "PT"}, "issuing country"),
    ],
)
def test_mrz_valid_fails_when_the_mrz_disagrees(changes, field):
    result = _result(Check.MRZ_VALID, **changes)
    assert (result.passed, result.reason) == (
        False,
        f"the MRZ disagrees with the declared or read data on: {field}",
    )


def test_mrz_dates_are_compared_without_their_guessed_century():
    # Born 1925: on TODAY the MRZ's "25" pivots to 2025, yet it is the same date of birth.
    line2 = f"250312{check_digit('250312')}M3001019ESP" + "<" * 11
    line2 += check_digit(SPANISH_TD1[0][5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    mrz = (SPANISH_TD1[0], line2, SPANISH_TD1[2])
    assert _result(Check.MRZ_VALID, mrz=mrz, birth_date=datetime.date(1925, 3, 12)).passed
    assert not _result(Check.MRZ_VALID, mrz=mrz, birth_date=datetime.date(1925, 3, 13)).passed


def test_mrz_valid_on_the_td3_specimen():
    declared = Declared("L898902C3", "PASSPORT", None, "Anna Maria", "Eriksson")
    metadata = EvidenceMetadata(
        document_number="L898902C3",
        document_type="PASSPORT",
        name="ANNA MARIA",
        last_name="ERIKSSON",
        birth_date=datetime.date(1974, 8, 12),
        mrz=TD3_SPECIMEN,
    )
    results = {result.name: result for result in _run(declared=declared, metadata=metadata)}
    assert results[Check.MRZ_VALID].passed, results[Check.MRZ_VALID].reason
    assert results[Check.DOCUMENT_CONTROL_CHARACTER].passed
    assert not results[Check.DOCUMENT_NOT_EXPIRED].passed  # the specimen expired in 2012


def test_evidence_present():
    results = {result.name: result for result in _run(evidence_present=False)}
    assert (results[Check.EVIDENCE_PRESENT].passed, results[Check.EVIDENCE_PRESENT].reason) == (
        False,
        "no evidence was supplied",
    )


def _results(*passed_weights):
    return [
        CheckResult(name=f"c{index}", passed=passed, weight=weight, reason="")
        for index, (passed, weight) in enumerate(passed_weights)
    ]


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        (_results((True, 60), (True, 40)), 100),
        (_results((True, 60), (False, 40)), 60),
        (_results((False, 60), (False, 40)), 0),
        (_results((True, 1), (False, 2)), 33),
        (_results((True, 2), (False, 1)), 67),
        (_results((True, 1), (False, 7)), 13),  # 12.5 rounds half up
        (_results((True, 10), (False, 10), (True, 0)), 50),
        (_results((True, 5), (False, 15)), 25),  # normalised by a total other than 100
        (_results((True, 0), (False, 0)), 0),
        ([], 0),
    ],
)
def test_score(results, expected):
    assert score(results) == expected


def test_score_with_default_weights_is_the_sum_of_passed_weights():
    results = _run(evidence_present=False, metadata=dataclasses.replace(METADATA, mrz=None))
    failed = {Check.EVIDENCE_PRESENT, Check.MRZ_VALID, Check.MRZ_READ_FROM_EVIDENCE}
    assert score(results) == 100 - sum(DEFAULT_WEIGHTS[check] for check in failed)


def test_custom_weights_accept_string_keys_and_default_missing_checks_to_zero():
    results = _run(weights={"name_match": 3, Check.EVIDENCE_PRESENT: 1})
    weights = {result.name: result.weight for result in results}
    assert weights["name_match"] == 3
    assert weights["evidence_present"] == 1
    assert weights["mrz_valid"] == 0
    assert score(results) == 100


@pytest.mark.parametrize("weight", [-1, 2.5, "10"])
def test_invalid_weights_are_rejected(weight):
    with pytest.raises(ValueError):
        _run(weights={**DEFAULT_WEIGHTS, Check.NAME_MATCH: weight})


PERSONAL_FRAGMENTS = (
    "12345678",
    "CAB123456",
    "87654321",
    "JOSE",
    "MARIA",
    "GARCIA",
    "MARQUEZ",
    "JUAN",
    "1985",
    "850312",
    "2030",
    "300101",
)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"declared_document_number": "12345678A"},
        {
            "declared_document_number": "87654321X",
            "declared_name": "Juan",
            "expiry_date": datetime.date(2020, 1, 1),
        },
        {"declared_document_type": "NIE"},
        {"mrz": (SPANISH_TD1[0], SPANISH_TD1[1][:6] + "0" + SPANISH_TD1[1][7:], SPANISH_TD1[2])},
        {"mrz": (SPANISH_TD1[0].lower(), *SPANISH_TD1[1:])},
        {"mrz": SPANISH_TD1[:2]},
        {"name": None, "document_number": None, "country": "PT", "birth_date": datetime.date(1986, 1, 1)},
    ],
)
def test_reasons_never_contain_the_persons_number_names_or_dates(changes):
    for check in Check:
        reason = _result(check, **changes).reason.upper()
        for fragment in PERSONAL_FRAGMENTS:
            assert fragment not in reason, (check, reason)


def test_the_library_does_not_import_django():
    root = Path(__file__).resolve().parents[2]
    code = "import sys, scoring.internal; assert not [m for m in sys.modules if m.split('.')[0] == 'django']"
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)
