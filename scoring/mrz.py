"""Parsing and check-digit validation of ICAO 9303 machine readable zones.

Supports TD1 (ID cards: 3 lines of 30 characters) and TD3 (passports: 2 lines of 44 characters).
Shape and alphabet problems raise ``MRZError`` (the API turns them into a 400); check-digit failures are
data about the document, so ``parse`` reports them in ``MRZ.invalid_fields`` instead of raising.

Error messages name line numbers and positions only, never MRZ content, because they reach API
responses and logs and the MRZ holds the person's number, names and dates. They are English; each keeps its
template and values so that the API can answer in the client's language.
"""

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pycountry

TD1 = "TD1"
TD3 = "TD3"
_SHAPES = {3: (TD1, 30), 2: (TD3, 44)}
_ALPHABET = re.compile(r"[A-Z0-9<]*")
_WEIGHTS = (7, 3, 1)

# ICAO codes that are not ISO 3166-1 alpha-3: Germany's historical "D" and the British nationality
# variants. pycountry knows every ISO code, so only these non-ISO ones need spelling out.
_ICAO_ONLY = {"D": "DE", "GBD": "GB", "GBN": "GB", "GBO": "GB", "GBP": "GB", "GBS": "GB", "RKS": "XK"}


def gettext_noop(message: str) -> str:
    """Marks a message for `makemessages` (which extracts this name) without making this module depend on Django."""
    return message


class MRZError(ValueError):
    """The lines are not an MRZ of a supported shape.

    str() is the English message; `template` (with %(name)s placeholders, in the translation catalogue) and
    `params` let a caller translate it.
    """

    def __init__(self, template: str, **params):
        super().__init__(template % params)
        self.template = template
        self.params = params


@dataclass(frozen=True)
class MRZ:
    format: str
    document_code: str
    issuing_country: str
    document_number: str
    birth_date: datetime.date | None
    expiry_date: datetime.date | None
    sex: str
    nationality: str
    surnames: str
    given_names: str
    optional_data: str
    check_digits_valid: bool
    invalid_fields: tuple[str, ...]
    # TD1 only: the second optional data field, on line 2.
    optional_data_2: str = ""


def check_digit(value: str) -> str:
    """ICAO 9303 check digit: weights 7, 3, 1 repeating; '<' is 0, digits themselves, A=10 .. Z=35."""
    total = 0
    for index, char in enumerate(value):
        if char == "<":
            number = 0
        elif "0" <= char <= "9":
            number = ord(char) - ord("0")
        elif "A" <= char <= "Z":
            number = ord(char) - ord("A") + 10
        else:
            raise MRZError(
                gettext_noop("position %(position)d holds a character outside A-Z, 0-9 and '<'"), position=index + 1
            )
        total += number * _WEIGHTS[index % 3]
    return str(total % 10)


def _clean(lines: Sequence[str]) -> list[str]:
    # A single string is itself a Sequence[str] (of characters); treat it as newline-separated text.
    if isinstance(lines, str):
        lines = lines.splitlines()
    if not all(isinstance(line, str) for line in lines):
        raise MRZError(gettext_noop("every MRZ line must be a string"))
    # OCR output and JSON payloads often carry stray surrounding whitespace; inner spaces stay errors.
    return [line.strip() for line in lines if line.strip()]


def _validated(lines: Sequence[str]) -> tuple[str, list[str]]:
    cleaned = _clean(lines)
    if len(cleaned) not in _SHAPES:
        raise MRZError(
            gettext_noop("an MRZ has 3 lines of 30 characters (TD1) or 2 lines of 44 (TD3); got %(count)d lines"),
            count=len(cleaned),
        )
    fmt, length = _SHAPES[len(cleaned)]
    for number, line in enumerate(cleaned, start=1):
        if len(line) != length:
            raise MRZError(
                gettext_noop("line %(line)d has %(count)d characters; a %(format)s MRZ line has %(length)d"),
                line=number,
                count=len(line),
                format=fmt,
                length=length,
            )
        # The pattern accepts an empty prefix, so it always matches; its end is the first foreign character.
        valid_prefix = _ALPHABET.match(line)
        end = valid_prefix.end() if valid_prefix else 0
        if end != len(line):
            raise MRZError(
                gettext_noop("line %(line)d, position %(position)d holds a character outside A-Z, 0-9 and '<'"),
                line=number,
                position=end + 1,
            )
    return fmt, cleaned


def validate_lines(lines: Sequence[str]) -> None:
    """Raise ``MRZError`` unless the lines have a TD1 or TD3 shape and only use A-Z, 0-9 and '<'."""
    _validated(lines)


def _date(value: str, *, birth: bool, today: datetime.date) -> datetime.date | None:
    if not value.isdigit():
        return None  # ICAO allows unknown parts as '<'.
    yy, month, day = int(value[:2]), int(value[2:4]), int(value[4:])
    # Birth dates are never in the future, so a two-digit year above this year's is last century.
    # Expiry dates are always this century: documents that expired before 2000 are long gone.
    century = 1900 if birth and yy > today.year % 100 else 2000
    try:
        return datetime.date(century + yy, month, day)
    except ValueError:
        return None


def _digit_ok(field: str, digit: str) -> bool:
    # An empty optional field may carry '<' instead of the computed 0.
    if digit == "<":
        return set(field) <= {"<"}
    return check_digit(field) == digit


def _names(field: str) -> tuple[str, str]:
    surnames, _, given = field.partition("<<")
    return surnames.replace("<", " ").strip(), given.replace("<", " ").strip()


def _strip(field: str) -> str:
    return field.strip("<")


def _td1(l1: str, l2: str, l3: str, *, today: datetime.date) -> MRZ:
    number, number_digit, optional = l1[5:14], l1[14], l1[15:30]
    if number_digit == "<" and optional[:1] not in ("", "<"):
        # Numbers longer than 9 characters overflow into the optional data, followed by their check
        # digit and a filler (ICAO 9303-5, 4.2.4).
        overflow, _, optional = optional.partition("<")
        number, number_digit = number + overflow[:-1], overflow[-1:]
    fields = {
        "document_number": (number, number_digit),
        "birth_date": (l2[0:6], l2[6]),
        "expiry_date": (l2[8:14], l2[14]),
        "composite": (l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29]),
    }
    return _build(
        TD1,
        l1,
        fields,
        today,
        birth=l2[0:6],
        expiry=l2[8:14],
        sex=l2[7],
        nationality=l2[15:18],
        names=l3,
        optional=optional,
        optional_2=l2[18:29],
    )


def _td3(l1: str, l2: str, *, today: datetime.date) -> MRZ:
    fields = {
        "document_number": (l2[0:9], l2[9]),
        "birth_date": (l2[13:19], l2[19]),
        "expiry_date": (l2[21:27], l2[27]),
        "optional_data": (l2[28:42], l2[42]),
        "composite": (l2[0:10] + l2[13:20] + l2[21:43], l2[43]),
    }
    return _build(
        TD3,
        l1,
        fields,
        today,
        birth=l2[13:19],
        expiry=l2[21:27],
        sex=l2[20],
        nationality=l2[10:13],
        names=l1[5:44],
        optional=l2[28:42],
        optional_2="",
    )


def _build(fmt, l1, fields, today, *, birth, expiry, sex, nationality, names, optional, optional_2) -> MRZ:
    invalid = tuple(name for name, (field, digit) in fields.items() if not _digit_ok(field, digit))
    surnames, given = _names(names)
    return MRZ(
        format=fmt,
        document_code=_strip(l1[0:2]),
        issuing_country=l1[2:5],
        document_number=_strip(fields["document_number"][0]),
        birth_date=_date(birth, birth=True, today=today),
        expiry_date=_date(expiry, birth=False, today=today),
        sex="X" if sex == "<" else sex,
        nationality=nationality,
        surnames=surnames,
        given_names=given,
        optional_data=_strip(optional),
        check_digits_valid=not invalid,
        invalid_fields=invalid,
        optional_data_2=_strip(optional_2),
    )


def parse(lines: Sequence[str], *, today: datetime.date | None = None) -> MRZ:
    """Parse a TD1 or TD3 MRZ.

    Raises ``MRZError`` for shape or alphabet problems only. ``today`` (default: the system date) decides
    the century of the birth date; expiry dates are always read as 20YY.
    """
    fmt, cleaned = _validated(lines)
    today = today or datetime.date.today()
    if fmt == TD1:
        return _td1(*cleaned, today=today)
    return _td3(*cleaned, today=today)


def alpha3_to_alpha2(code: str) -> str | None:
    """ISO alpha-2 code of an MRZ state code ("ESP" -> "ES", "D<<" -> "DE"); None when it has none.

    ICAO codes with no country (stateless "XXA", United Nations "UNO", the specimen "UTO") give None.
    """
    key = code.replace("<", "").strip().upper()
    if key in _ICAO_ONLY:
        return _ICAO_ONLY[key]
    if len(key) != 3:
        return None
    country = pycountry.countries.get(alpha_3=key)
    return country.alpha_2 if country else None
