"""The check mrz_read_from_evidence: the MRZ read off the evidence image against the declared identity.

The reading is given (a MrzReading, as scoring.mrz_reader returns it): no OCR runs here.
"""

import dataclasses
import datetime
import io

import pytest
from PIL import Image

from scoring import providers
from scoring.checks import Check, Declared, EvidenceMetadata
from scoring.internal import evidence_disagreements, run_internal_checks
from scoring.mrz import check_digit
from scoring.mrz_reader import MrzReading
from scoring.providers import Attempt, InternalProvider

TODAY = datetime.date(2025, 6, 1)


def td1(
    *,
    state="ESP",
    number="CAB123456",
    optional="12345678Z",
    birth="850312",
    sex="M",
    expiry="300101",
    nationality="ESP",
    names="GARCIA<MARQUEZ<<JOSE<MARIA",
) -> tuple[str, str, str]:
    """A TD1 MRZ (ID card) with every check digit computed, as the reader returns only valid ones."""
    line1 = f"ID{state}{number:<9}{check_digit(number)}{optional:<15}".replace(" ", "<")
    line2 = f"{birth}{check_digit(birth)}{sex}{expiry}{check_digit(expiry)}{nationality}" + "<" * 11
    line2 += check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    return line1, line2, f"{names:<30}".replace(" ", "<")


SPANISH = td1()
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
    mrz=SPANISH,
)
# Personal data that no reason may quote.
PERSONAL = ("12345678Z", "CAB123456", "GARCIA", "MARQUEZ", "JOSE", "850312", "1985", "300101")


def read_check(lines=SPANISH, *, declared=DECLARED, metadata=METADATA, evidence_present=True, problem=None):
    reading = MrzReading(lines, problem) if evidence_present else None
    results = run_internal_checks(
        declared=declared, metadata=metadata, evidence_present=evidence_present, today=TODAY, evidence_reading=reading
    )
    result = next(result for result in results if result.name == Check.MRZ_READ_FROM_EVIDENCE)
    assert not any(data.lower() in result.reason.lower() for data in PERSONAL), result.reason
    return result


def test_the_declared_persons_document_passes():
    result = read_check()
    assert (result.passed, result.reason) == (
        True,
        "the MRZ read off the evidence image is valid and agrees with the declared identity",
    )
    assert result.weight == 20


def test_the_app_need_not_send_an_mrz_or_any_metadata():
    assert read_check(metadata=dataclasses.replace(METADATA, mrz=None)).passed
    assert read_check(metadata=EvidenceMetadata()).passed


def test_an_mrz_sent_by_the_app_is_compared_after_normalising():
    sent = (*(f"  {line.lower()} " for line in SPANISH), "")
    assert read_check(metadata=dataclasses.replace(METADATA, mrz=sent)).passed


@pytest.mark.parametrize(
    ("lines", "declared", "metadata", "disagreement"),
    [
        pytest.param(td1(optional="87654321X"), {}, {"mrz": None}, "document number", id="dni"),
        pytest.param(
            SPANISH, {"document_number": "87654321X"}, {"document_number": None}, "document number", id="declared"
        ),
        pytest.param(SPANISH, {"name": "Juan"}, {"name": None}, "name", id="given-name"),
        pytest.param(td1(names="LOPEZ<MARQUEZ<<JOSE<MARIA"), {}, {"mrz": None}, "name", id="surname"),
        pytest.param(td1(birth="850313"), {}, {"mrz": None}, "birth date", id="birth-date"),
        pytest.param(td1(expiry="310101"), {}, {"mrz": None}, "expiry date", id="expiry-date"),
        pytest.param(td1(state="PRT", nationality="PRT"), {}, {"mrz": None}, "issuing country", id="country"),
    ],
)
def test_each_disagreement_fails_and_is_named(lines, declared, metadata, disagreement):
    result = read_check(
        lines, declared=dataclasses.replace(DECLARED, **declared), metadata=dataclasses.replace(METADATA, **metadata)
    )
    assert not result.passed
    assert evidence_disagreements(result.reason) == [disagreement]


def test_the_metadata_number_must_be_on_the_document_too():
    # The declared number is on the card, but the app claims another one.
    result = read_check(metadata=dataclasses.replace(METADATA, document_number="87654321X"))
    assert evidence_disagreements(result.reason) == ["document number"]


def test_an_mrz_sent_by_the_app_that_differs_from_the_image_fails():
    other = td1(number="CAB999999")  # a valid MRZ of the same person's other card
    result = read_check(metadata=dataclasses.replace(METADATA, mrz=other))
    assert evidence_disagreements(result.reason) == ["MRZ sent by the app"]


def test_another_persons_document_fails_on_everything_that_differs():
    someone_else = td1(number="BXZ654321", optional="87654321X", birth="900101", names="PEREZ<RUIZ<<ANA")
    result = read_check(someone_else, metadata=dataclasses.replace(METADATA, mrz=None))
    assert not result.passed
    assert evidence_disagreements(result.reason) == ["document number", "name", "birth date"]


def test_the_same_image_for_two_identities_passes_only_for_its_holder():
    other_person = dataclasses.replace(DECLARED, document_number="87654321X", name="Ana", last_name="Pérez Ruiz")
    assert read_check(declared=other_person, metadata=EvidenceMetadata()).reason.endswith("document number, name")
    assert read_check(metadata=EvidenceMetadata()).passed


def test_a_nationality_matching_the_declared_country_is_enough():
    # A Spaniard's document issued by a consulate abroad names Spain as the nationality.
    consular = td1(state="FRA", nationality="ESP")
    assert read_check(consular, metadata=dataclasses.replace(METADATA, mrz=None)).passed


def test_without_evidence_it_fails():
    result = read_check(evidence_present=False)
    assert (result.passed, result.reason) == (False, "no evidence was supplied")


def test_nothing_read_fails_with_the_readers_problem():
    result = read_check(None, problem="no machine-readable zone was found on the image")
    assert (result.passed, result.reason) == (
        False,
        "no MRZ was read off the evidence image: no machine-readable zone was found on the image",
    )


def test_lines_failing_their_check_digits_fail():
    broken = (SPANISH[0], SPANISH[1][:6] + "0" + SPANISH[1][7:], SPANISH[2])
    result = read_check(broken)
    assert (result.passed, result.reason) == (
        False,
        "the check digits of the MRZ read off the evidence image fail",
    )
    assert not read_check(SPANISH[:2]).passed  # not an MRZ shape at all


# PESEL 44051401359: born 14 May 1944, a man (stdnum's documentation example).
POLISH = Declared("44051401359", "PL_PESEL", "PL", "Jan", "Kowalski", number_validator="pl.pesel")


def polish_card(**changes):
    fields = {"state": "POL", "number": "ABC123456", "optional": "44051401359", "birth": "440514", "sex": "M"}
    return td1(**{**fields, "nationality": "POL", "names": "KOWALSKI<<JAN", **changes})


def test_a_national_number_agrees_with_the_mrz_birth_date_and_sex():
    assert read_check(polish_card(), declared=POLISH, metadata=EvidenceMetadata()).passed


@pytest.mark.parametrize(
    ("changes", "disagreement"),
    [
        ({"birth": "440515"}, "birth date in the national number"),
        ({"sex": "F"}, "sex in the national number"),
    ],
)
def test_a_national_number_contradicting_the_mrz_fails(changes, disagreement):
    result = read_check(polish_card(**changes), declared=POLISH, metadata=EvidenceMetadata())
    assert evidence_disagreements(result.reason) == [disagreement]


def test_an_unspecified_sex_is_not_a_disagreement():
    assert read_check(polish_card(sex="<"), declared=POLISH, metadata=EvidenceMetadata()).passed


def blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), "white").save(buffer, "PNG")
    return buffer.getvalue()


def attempt(evidence) -> Attempt:
    return Attempt(
        identification_id="id",
        number=1,
        declared=DECLARED,
        metadata=METADATA,
        evidence=evidence,
        evidence_content_type="image/png" if evidence else "",
        today=TODAY,
    )


def test_the_provider_reads_the_evidence_and_returns_what_it_read(monkeypatch):
    monkeypatch.setattr(providers, "read_mrz", lambda image: MrzReading(SPANISH, None))
    outcome = InternalProvider().score(attempt(blank_png()))
    assert outcome.evidence_mrz == SPANISH
    assert all(check.passed for check in outcome.checks)
    assert outcome.score == 100


def test_a_blank_image_with_perfect_metadata_fails_the_check():
    outcome = InternalProvider().score(attempt(blank_png()))
    read = next(check for check in outcome.checks if check.name == Check.MRZ_READ_FROM_EVIDENCE)
    assert (read.passed, outcome.evidence_mrz, outcome.score) == (False, None, 80)
    assert read.reason.startswith("no MRZ was read off the evidence image: ")


def test_a_reader_failure_costs_the_check_not_the_request(monkeypatch, caplog):
    def broken(image):
        raise RuntimeError("model crashed")

    monkeypatch.setattr(providers, "read_mrz", broken)
    outcome = InternalProvider().score(attempt(b"\x89PNG garbage"))
    read = next(check for check in outcome.checks if check.name == Check.MRZ_READ_FROM_EVIDENCE)
    assert (read.passed, read.reason) == (False, "no MRZ was read off the evidence image: the image could not be read")
    assert "the MRZ reader failed on an evidence image" in caplog.text


def test_without_evidence_nothing_is_read(monkeypatch):
    monkeypatch.setattr(providers, "read_mrz", lambda image: pytest.fail("no image to read"))
    outcome = InternalProvider().score(attempt(None))
    assert outcome.evidence_mrz is None
