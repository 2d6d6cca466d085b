"""The conservative repair of OCR'd MRZ lines: what it puts right, and what it refuses to guess."""

import pytest

from scoring.mrz import parse
from scoring.ocr.repair import repair
from tests.ocr.corpus import SAMPLE_MRZ

DNI = SAMPLE_MRZ  # IDESPCAB123456012345678Z<<<<<< / 8503127M3001019ESP<<<<<<<<<<<9 / GARCIA<MARQUEZ<<JOSE<MARIA<<<<
PASSPORT = ("P<D<<DE<VRIES<<OLIVIA<<<<<<<<<<<<<<<<<<<<<<<", "LSA9173485D<<6706256F3009222<<<<<<<<<<<<<<<2")


def test_the_fixtures_pass_their_check_digits():
    assert parse(DNI).check_digits_valid and parse(PASSPORT).check_digits_valid


def test_a_correct_read_comes_back_unchanged():
    assert repair(DNI) == DNI
    assert repair(PASSPORT) == PASSPORT


@pytest.mark.parametrize(
    "misread",
    [
        # letters in digits-only fields (birth date, expiry date, check digits) and digits in letters-only ones
        (DNI[0], "85O3I27M3OO1O19ESP<<<<<<<<<<<9", DNI[2]),
        (DNI[0], DNI[1], "GARC1A<MARQUEZ<<J0SE<MAR1A<<<<"),
        ("P<D<<DE<VRIES<<0LIVIA<<<<<<<<<<<<<<<<<<<<<<<", "LSA9173485D<<67O6256F3OO9222<<<<<<<<<<<<<<<2"),
        # a nationality read with a digit
        ("P<D<<DE<VRIES<<OLIVIA<<<<<<<<<<<<<<<<<<<<<<<", PASSPORT[1]),
    ],
)
def test_look_alikes_are_fixed_by_field_type(misread):
    assert repair(misread) in (DNI, PASSPORT)


def test_one_look_alike_in_a_document_number_is_chosen_by_its_check_digit():
    # "LSA..." read "L5A...": S and 5 both belong in a document number; only S passes the check digit.
    assert repair((PASSPORT[0], "L5A9173485D<<6706256F3009222<<<<<<<<<<<<<<<2")) == PASSPORT


@pytest.mark.parametrize(
    "misread",
    [
        # a filler dropped from a run of fillers (CTC models merge repeated characters)
        (PASSPORT[0], "LSA9173485D<<6706256F3009222<<<<<<<<<<<<<<2"),
        (DNI[0], "8503127M3001019ESP<<<<<<<<<<9", DNI[2]),
        # a digit dropped from the expiry date: only one character at one place passes the date's check digit,
        # the composite and every later field
        (PASSPORT[0], "LSA9173485D<<6706256F300922<<<<<<<<<<<<<<<2"),
        # a stray character added
        (PASSPORT[0], "LSA9173485D<<6706256F30092222<<<<<<<<<<<<<<<2"),
    ],
)
def test_a_dropped_or_added_character_is_put_right_when_the_check_digits_allow_one_way_only(misread):
    assert repair(misread) in (DNI, PASSPORT)


def test_fillers_read_as_k_e_x_where_only_fillers_may_stand_become_fillers():
    assert repair((DNI[0], DNI[1], "GARCIA<MARQUEZ<<JOSE<MARIA<<KE")) == DNI
    assert repair(("IDESPCAB123456012345678Z<K<E<X", DNI[1], DNI[2])) == DNI
    assert repair((PASSPORT[0], "LSA9173485D<<6706256F3009222<<<KKK<<<EEE<X<2")) == PASSPORT


def test_a_k_right_before_the_fillers_is_refused_when_the_engine_reads_fillers_as_k():
    # K and '<' weigh the same in every check digit: "...78ZK<<<<<" could be data or a filler misread.
    misread = ("IDESPCAB123456012345678ZK<<<<<", DNI[1], DNI[2])
    assert repair(misread, fillers_misread=True) is None
    # a last given name of K/E/X only, from such an engine, is fillers more likely than a name
    assert repair((DNI[0], DNI[1], "GARCIA<MARQUEZ<<JOSE<MARIA<KEX"), fillers_misread=True) is None


def test_two_repairs_that_both_pass_mean_no_read():
    # 5 read at two places of the same check-digit weight: swapping either to S passes the number's check digit
    # and the composite alike, so the read is ambiguous.
    assert (
        repair(("P<ITAORTEGA<<PEDRO<<<<<<<<<<<<<<<<<<<<<<<<<<", "LZ59752922ITA5801095M3610033<<<<<<<<<<<<<<<0")) is None
    )
    # a filler dropped from the TD1 second line's end: a digit put back at the end would pass the composite too,
    # were data after fillers allowed; the one filler read stands
    assert repair((DNI[0], "8503127M3001019ESP<<<<<<<<<<9", DNI[2])) == DNI


@pytest.mark.parametrize(
    "misread",
    [
        # the composite check digit is wrong: no repair touches a failing check digit
        (DNI[0], DNI[1][:-1] + "8", DNI[2]),
        # the birth date's check digit is wrong
        (PASSPORT[0], "LSA9173485D<<6706257F3009222<<<<<<<<<<<<<<<2"),
        # a character dropped from a name: names have no check digit, so where it went is unknowable
        (DNI[0], DNI[1], "GARCIA<MARQUZ<<JOSE<MARIA<<<<"),
        # a character dropped from the first line's optional data: only the composite digit would notice
        ("IDESPCAB12345601234578Z<<<<<<", DNI[1], DNI[2]),
        # letters after the names where only fillers may stand
        (DNI[0], DNI[1], "GARCIA<MARQUEZ<<JOSE<MARIA<<AB"),
        # an unknown nationality
        (DNI[0], "8503127M3001019QQQ<<<<<<<<<<<9", DNI[2]),
        # wrong shapes
        DNI[:2],
        (PASSPORT[0], PASSPORT[1][:40]),
        (),
    ],
)
def test_reads_that_cannot_be_trusted_are_refused(misread):
    assert repair(misread) is None


def test_a_spanish_id_card_needs_a_valid_dni_in_its_optional_data():
    # the same card with the DNI's control letter wrong (A instead of Z), check digits recomputed to pass
    from scoring.mrz import check_digit

    line1 = "IDESPCAB123456012345678A<<<<<<"
    line2 = DNI[1][:29]
    line2 += check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    assert parse((line1, line2, DNI[2])).check_digits_valid
    assert repair((line1, line2, DNI[2])) is None


def test_a_confusion_seen_elsewhere_in_the_read_makes_a_check_invisible_twin_ambiguous():
    # "GML..." read "6ML..." passes every check digit (G and 6 both weigh 6 mod 10); the same read shows the engine
    # turning G into 6 (its nationality "6BR"), so the number's 6 could be a G: refused.
    true = ("P<GBRDE<VRIES<<JOAO<<<<<<<<<<<<<<<<<<<<<<<<<", "GML1505877GBR8603256M3010219<<<<<<<<<<<<<<<2")
    assert repair(true) == true
    assert repair((true[0], "6ML1505877GBR8603256M3010219<<<<<<<<<<<<<<<2")) is not None  # nothing says 6 is wrong
    assert repair((true[0], "6ML15058776BR8603256M3010219<<<<<<<<<<<<<<<2")) is None
    # a confusion whose twins weigh differently is settled by the check digit: O read as 0 in a name, and a 0 in
    # the number that must stay a 0
    assert repair(("P<D<<DE<VRIES<<0LIVIA<<<<<<<<<<<<<<<<<<<<<<<", PASSPORT[1])) == PASSPORT
