import datetime

import pytest

from scoring.mrz import MRZ, MRZError, alpha3_to_alpha2, check_digit, parse, validate_lines

TODAY = datetime.date(2025, 6, 1)

# ICAO 9303 part 4, appendix A: the published TD3 specimen passport.
TD3_SPECIMEN = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
# ICAO 9303 part 5, appendix A: the published TD1 specimen ID card.
TD1_SPECIMEN = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)
# A Spanish DNIe-style TD1: card (support) number CAB123456 in the document number field, DNI 12345678Z at
# the start of the optional data. Check digits worked out by hand, weights 7 3 1 repeating, A=10 .. Z=35:
#   CAB123456: 12*7 + 10*3 + 11*1 + 1*7 + 2*3 + 3*1 + 4*7 + 5*3 + 6*1 = 84+30+11+7+6+3+28+15+6 = 190 -> 0
#   850312:    8*7 + 5*3 + 0*1 + 3*7 + 1*3 + 2*1 = 56+15+0+21+3+2 = 97 -> 7
#   300101:    3*7 + 0*3 + 0*1 + 1*7 + 0*3 + 1*1 = 21+0+0+7+0+1 = 29 -> 9
#   composite over "CAB1234560" "12345678Z<<<<<<" "8503127" "3001019" "<<<<<<<<<<<" (50 characters):
#     CAB1234560 -> 84+30+11+7+6+3+28+15+6+0 = 190
#     12345678Z  (positions 10-18, weights 3 1 7 3 1 7 3 1 7) -> 3+2+21+12+5+42+21+8+245 = 359
#     8503127    (positions 25-31, weights 3 1 7 3 1 7 3) -> 24+5+0+9+1+14+21 = 74
#     3001019    (positions 32-38, weights 1 7 3 1 7 3 1) -> 3+0+0+1+0+3+9 = 16
#     fillers add 0; 190+359+74+16 = 639 -> 9
SPANISH_TD1 = (
    "IDESPCAB123456012345678Z<<<<<<",
    "8503127M3001019ESP<<<<<<<<<<<9",
    "GARCIA<MARQUEZ<<JOSE<MARIA<<<<",
)


def _replace(lines, line, position, char):
    lines = list(lines)
    lines[line] = lines[line][:position] + char + lines[line][position + 1 :]
    return lines


def _wrong_digit(lines, line, position):
    digit = lines[line][position]
    return _replace(lines, line, position, str((int(digit) + 1) % 10))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("L898902C3", "6"),
        ("740812", "2"),
        ("120415", "9"),
        ("ZE184226B<<<<<", "1"),
        ("D23145890", "7"),
        ("CAB123456", "0"),
        ("<<<<<<", "0"),
        ("", "0"),
    ],
)
def test_check_digit_matches_published_values(value, expected):
    assert check_digit(value) == expected


def test_check_digit_rejects_characters_outside_the_alphabet():
    with pytest.raises(MRZError):
        check_digit("abc")


def test_td3_specimen():
    mrz = parse(TD3_SPECIMEN, today=TODAY)
    assert mrz == MRZ(
        format="TD3",
        document_code="P",
        issuing_country="UTO",
        document_number="L898902C3",
        birth_date=datetime.date(1974, 8, 12),
        expiry_date=datetime.date(2012, 4, 15),
        sex="F",
        nationality="UTO",
        surnames="ERIKSSON",
        given_names="ANNA MARIA",
        optional_data="ZE184226B",
        check_digits_valid=True,
        invalid_fields=(),
    )


def test_td1_specimen():
    mrz = parse(TD1_SPECIMEN, today=TODAY)
    assert mrz.format == "TD1"
    assert (mrz.document_code, mrz.issuing_country, mrz.document_number) == ("I", "UTO", "D23145890")
    assert (mrz.birth_date, mrz.expiry_date) == (datetime.date(1974, 8, 12), datetime.date(2012, 4, 15))
    assert (mrz.sex, mrz.nationality) == ("F", "UTO")
    assert (mrz.surnames, mrz.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert (mrz.optional_data, mrz.optional_data_2) == ("", "")
    assert mrz.check_digits_valid
    assert mrz.invalid_fields == ()


def test_spanish_td1_keeps_the_dni_in_the_optional_data():
    mrz = parse(SPANISH_TD1, today=TODAY)
    assert mrz.check_digits_valid, mrz.invalid_fields
    assert (mrz.document_code, mrz.issuing_country) == ("ID", "ESP")
    assert mrz.document_number == "CAB123456"
    assert mrz.optional_data == "12345678Z"
    assert (mrz.surnames, mrz.given_names) == ("GARCIA MARQUEZ", "JOSE MARIA")
    assert (mrz.birth_date, mrz.expiry_date) == (datetime.date(1985, 3, 12), datetime.date(2030, 1, 1))


# A wrong field check digit also breaks the composite digit, which covers the field digits too.
@pytest.mark.parametrize(
    ("lines", "line", "position", "expected"),
    [
        (TD3_SPECIMEN, 1, 9, ("document_number", "composite")),
        (TD3_SPECIMEN, 1, 19, ("birth_date", "composite")),
        (TD3_SPECIMEN, 1, 27, ("expiry_date", "composite")),
        (TD3_SPECIMEN, 1, 42, ("optional_data", "composite")),
        (TD3_SPECIMEN, 1, 43, ("composite",)),
        (TD1_SPECIMEN, 0, 14, ("document_number", "composite")),
        (TD1_SPECIMEN, 1, 6, ("birth_date", "composite")),
        (TD1_SPECIMEN, 1, 14, ("expiry_date", "composite")),
        (TD1_SPECIMEN, 1, 29, ("composite",)),
        (SPANISH_TD1, 0, 14, ("document_number", "composite")),
        (SPANISH_TD1, 1, 6, ("birth_date", "composite")),
        (SPANISH_TD1, 1, 14, ("expiry_date", "composite")),
        (SPANISH_TD1, 1, 29, ("composite",)),
    ],
)
def test_each_wrong_check_digit_is_detected_and_named(lines, line, position, expected):
    mrz = parse(_wrong_digit(lines, line, position), today=TODAY)
    assert not mrz.check_digits_valid
    assert mrz.invalid_fields == expected


@pytest.mark.parametrize(
    ("lines", "line", "position", "expected"),
    [
        (TD3_SPECIMEN, 1, 2, ("document_number", "composite")),
        (TD3_SPECIMEN, 1, 15, ("birth_date", "composite")),
        (TD1_SPECIMEN, 1, 10, ("expiry_date", "composite")),
        (SPANISH_TD1, 0, 20, ("composite",)),  # the DNI in the optional data is only under the composite
    ],
)
def test_a_changed_data_character_is_detected(lines, line, position, expected):
    char = lines[line][position]
    mrz = parse(_replace(lines, line, position, "1" if char != "1" else "2"), today=TODAY)
    assert mrz.invalid_fields == expected


def test_empty_optional_data_may_carry_a_filler_check_digit():
    line2 = TD3_SPECIMEN[1][:28] + "<" * 15
    line2 = line2 + check_digit(line2[0:10] + line2[13:20] + line2[21:43])
    mrz = parse([TD3_SPECIMEN[0], line2], today=TODAY)
    assert mrz.check_digits_valid
    assert mrz.optional_data == ""


def test_td1_long_document_number_overflows_into_the_optional_data():
    number = "D23145890123"
    line1 = f"I<UTO{number[:9]}<{number[9:]}{check_digit(number)}<".ljust(30, "<")
    line2 = "7408122F1204159UTO<<<<<<<<<<<"
    line2 += check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    mrz = parse([line1, line2, TD1_SPECIMEN[2]], today=TODAY)
    assert mrz.document_number == number
    assert mrz.optional_data == ""
    assert mrz.check_digits_valid, mrz.invalid_fields


@pytest.mark.parametrize(
    ("yymmdd", "expected"),
    [
        ("250601", datetime.date(2025, 6, 1)),  # this year: this century
        ("260101", datetime.date(1926, 1, 1)),  # later two-digit year: last century
        ("000229", datetime.date(2000, 2, 29)),
        ("991231", datetime.date(1999, 12, 31)),
        ("741312", None),  # month 13
        ("74<<<<", None),  # unknown month and day
    ],
)
def test_birth_date_century_pivots_on_today(yymmdd, expected):
    line2 = f"L898902C36UTO{yymmdd}{check_digit(yymmdd)}F1204159ZE184226B<<<<<1"
    line2 += check_digit(line2[0:10] + line2[13:20] + line2[21:43])
    mrz = parse([TD3_SPECIMEN[0], line2], today=TODAY)
    assert mrz.check_digits_valid
    assert mrz.birth_date == expected


def test_expiry_dates_are_this_century():
    assert parse(TD3_SPECIMEN, today=datetime.date(2090, 1, 1)).expiry_date == datetime.date(2012, 4, 15)


def test_surrounding_whitespace_and_a_single_string_are_accepted():
    assert parse([f"  {line}\n" for line in TD1_SPECIMEN], today=TODAY).check_digits_valid
    assert parse("\n".join(TD3_SPECIMEN) + "\n", today=TODAY).check_digits_valid


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "got 0 lines"),
        (TD3_SPECIMEN[:1], "got 1 lines"),
        ([*TD1_SPECIMEN, TD1_SPECIMEN[2]], "got 4 lines"),
        ([TD3_SPECIMEN[0], TD3_SPECIMEN[1][:-1]], "line 2 has 43 characters"),
        ([TD1_SPECIMEN[0] + "<", *TD1_SPECIMEN[1:]], "line 1 has 31 characters"),
        (TD1_SPECIMEN[:2], "line 1 has 30 characters; a TD3 MRZ line has 44"),
        ([TD3_SPECIMEN[0].lower(), TD3_SPECIMEN[1]], "line 1, position 1"),
        (_replace(TD1_SPECIMEN, 2, 8, " "), "line 3, position 9"),
        (_replace(TD1_SPECIMEN, 2, 3, "Ñ"), "line 3, position 4"),
        ([TD3_SPECIMEN[0], None], "must be a string"),
    ],
)
def test_shape_and_alphabet_problems_raise(lines, message):
    with pytest.raises(MRZError, match=message) as raised:
        validate_lines(lines)
    with pytest.raises(MRZError):
        parse(lines, today=TODAY)
    # The message reaches API responses: it locates the problem without quoting the MRZ.
    for fragment in ("ERIKSSON", "ANNA", "L898902C3", "D23145890", "740812"):
        assert fragment not in str(raised.value)


def test_mrz_error_is_a_value_error():
    assert issubclass(MRZError, ValueError)


def test_validate_lines_accepts_valid_shapes_even_with_bad_check_digits():
    validate_lines(TD3_SPECIMEN)
    validate_lines(_wrong_digit(TD1_SPECIMEN, 1, 29))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ESP", "ES"),
        ("esp", "ES"),
        ("DEU", "DE"),
        ("D<<", "DE"),
        ("GBD", "GB"),
        ("FRA", "FR"),
        ("UTO", None),
        ("XXA", None),
        ("", None),
    ],
)
def test_alpha3_to_alpha2(code, expected):
    assert alpha3_to_alpha2(code) == expected
