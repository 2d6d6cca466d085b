"""Conservative repair of OCR'd MRZ lines, guided by the ICAO 9303 check digits.

OCR confuses a few characters of OCR-B in ways the MRZ's layout can undo: a letter in a digits-only field (O for 0,
S for 5 ...), a digit in a letters-only field, a '<' filler read as K, E or X, a character dropped from a line.
A repair is accepted only when exactly one distinct set of lines passes every check digit and every structural rule;
when two repairs pass, or a field fails its check digit whatever we try, nothing is returned: a wrong read that passes
its check digits would be worse than no read (names, nationality and sex are outside every check digit).

Pure functions, no OCR: `repair(["IDESP...", "...", "..."])` -> the lines, or None.
"""

import datetime
import itertools
import re
from collections.abc import Iterable, Sequence

from stdnum.es import dni, nie

from scoring.mrz import MRZError, alpha3_to_alpha2, check_digit, parse

# Character classes by position. D: digits only (dates). C: a check digit (a digit, or '<' for an empty optional
# field). A: letters and fillers (codes, names). N: letters, digits and fillers (numbers, optional data).
# S: sex (M, F, X or '<').
_LAYOUTS = {
    30: ("AAAAANNNNNNNNNCNNNNNNNNNNNNNNN", "DDDDDDCSDDDDDDCAAANNNNNNNNNNNC", "A" * 30),
    44: ("A" * 44, "NNNNNNNNNCAAADDDDDDCSDDDDDDCNNNNNNNNNNNNNNCC"),
}
_LINE_COUNTS = {3: 30, 2: 44}

_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ALLOWED = {"D": _DIGITS, "C": _DIGITS + "<", "A": _LETTERS + "<", "N": _LETTERS + _DIGITS + "<", "S": "MFX<"}
# Look-alikes with one meaning in a digits-only field, and in a letters-only field.
_AS_DIGIT = {"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "G": "6", "B": "8"}
_AS_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "8": "B"}
# In a field that holds both, each look-alike is a real alternative: only a check digit can choose.
_TWINS = {"0": "O", "O": "0", "1": "I", "I": "1", "5": "S", "S": "5", "8": "B", "B": "8", "2": "Z", "Z": "2"}
_FILLER_MISREADS = "KEX"
# Numbers and optional data are written from the left and filled with '<': data after a filler is a misread (a
# put-back character landing there could pass the composite digit alone). TD1's first optional field is left out:
# it may hold the overflow of a long document number, then more data.
_DATA_FIELDS = {(30, 1): ((18, 29),), (44, 1): ((0, 9), (28, 42))}
_LEFT_ALIGNED = re.compile(r"[A-Z0-9]*<*")
# Characters whose ICAO value is 0 mod 10, like the filler's: swapping one for '<' changes no check digit.
_INVISIBLE = "0AKU"

# ICAO codes outside ISO 3166 (stateless persons, refugees, United Nations, the specimen state).
_ICAO_SPECIAL_CODES = {"XXA", "XXB", "XXC", "XXX", "UNO", "UNA", "UNK", "EUE", "UTO", "XOM", "XPO", "XDC", "XES"}
_NAMES = re.compile(r"[A-Z]+(<[A-Z]+)*(<<([A-Z]+(<[A-Z]+)*)?)?<*")
# ICAO document codes: passports start with P; ID cards with I, A or C.
_DOCUMENT_CODE = {30: re.compile(r"[IAC][A-Z<]"), 44: re.compile(r"P[A-Z<]")}


def repair(
    lines: Sequence[str], *, fillers_misread: bool = False, today: datetime.date | None = None
) -> tuple[str, ...] | None:
    """The one reading of `lines` (2 of ~44 or 3 of ~30 characters) that passes every check, or None.

    `fillers_misread`: the engine is known to read '<' as K/E/X (Tesseract's English model), so a K/E/X right
    before a field's fillers may be one.
    """
    length = _LINE_COUNTS.get(len(lines))
    if length is None:
        return None
    layout = _LAYOUTS[length]
    per_line = []
    for number, line in enumerate(lines):
        variants = set(_line_variants(line, layout[number], length, number, fillers_misread))
        if not variants:
            return None
        per_line.append(variants)
    if _combinations(per_line) > 4096:
        return None
    accepted = {combo for combo in itertools.product(*per_line) if _passes(combo, today)}
    if len(accepted) != 1:
        return None
    found = accepted.pop()
    if _confusion_elsewhere_passes_too(lines, found, today):
        return None
    return found


def _confusion_elsewhere_passes_too(lines: Sequence[str], found: tuple[str, ...], today: datetime.date | None) -> bool:
    """A look-alike the engine confused in a letters-only or digits-only field of this read (6 read where the
    nationality has G) may be confused in a number too, where G and 6 weigh the same mod 10 (as do 0/A, 1/B ...):
    if swapping it there passes every check as well, the read is ambiguous."""
    observed = set()
    for raw, line, layout in zip(lines, found, _LAYOUTS[len(found[0])], strict=True):
        if len(raw) == len(line):
            # Fillers read as K/E/X have their own rules (above); letter/digit confusions are what is looked for.
            observed |= {
                frozenset((a, b))
                for a, b, kind in zip(raw, line, layout, strict=True)
                if a != b and kind != "N" and "<" not in (a, b)
            }
    for number, (line, layout) in enumerate(zip(found, _LAYOUTS[len(found[0])], strict=True)):
        for at, (char, kind) in enumerate(zip(line, layout, strict=True)):
            if kind != "N":
                continue
            for pair in observed:
                if char in pair:
                    (other,) = pair - {char}
                    swapped = (*found[:number], line[:at] + other + line[at + 1 :], *found[number + 1 :])
                    if _passes(swapped, today):
                        return True
    return False


def names_line(text: str, length: int, *, fillers_misread: bool = False) -> str | None:
    """One reading of a names line (TD1's third, TD3's first) after the same fixes `repair` applies: how callers
    compare independent readings of the one line that no check digit covers."""
    number = 2 if length == 30 else 0
    if len(text) != length:
        return None
    fixed = _class_fixes(text, _LAYOUTS[length][number], fillers_misread)
    return None if fixed is None else _names_fillers(fixed, length, number, fillers_misread)


def _combinations(per_line: list[set[str]]) -> int:
    total = 1
    for variants in per_line:
        total *= len(variants)
    return total


def _line_variants(line: str, layout: str, length: int, number: int, fillers_misread: bool) -> Iterable[str]:
    """Readings of one line that pass the check digits lying within it, with at most one edit: a character put
    back, a spurious one removed, or one look-alike swapped in a field that holds letters and digits."""
    if len(line) == length:
        fixed = _class_fixes(line, layout, fillers_misread)
        if fixed is None:
            return
        fixed = _names_fillers(fixed, length, number, fillers_misread)
        if fixed is None:
            return
        if _line_digits_pass(fixed, length, number):
            yield fixed
            if fillers_misread:
                # K/E/X right before a field's fillers may be a filler too: both readings go on, and if both pass
                # (K weighs like '<'), the read is refused as ambiguous.
                yield from _swaps(fixed, layout, length, number, fillers_misread, only_fillers=True)
            return
        yield from _swaps(fixed, layout, length, number, fillers_misread)
        return
    if not _covered(length, number):
        # A name line has no check digit: a character dropped or added there could be anywhere in the name.
        return
    editable = min(_editable(length, number), len(line))
    if len(line) == length - 1:
        # Put a character back at every position with every character that position allows: the check digits keep
        # the candidates that fit, and more than one distinct survivor means the read is refused. Next to a filler
        # only a filler goes back: 0, A, K and U weigh 0 mod 10 like '<', so no check digit could tell them apart.
        candidates = {
            line[:at] + char + line[at:]
            for at in range(editable + 1)
            for char in _ALLOWED[layout[at]]
            if char == "<" or char not in _INVISIBLE or "<" not in line[max(0, at - 1) : at + 1]
        }
    elif len(line) == length + 1:
        candidates = {line[:at] + line[at + 1 :] for at in range(editable)}
    else:
        return
    for candidate in candidates:
        fixed = _class_fixes(candidate, layout, fillers_misread)
        if fixed is not None and _line_digits_pass(fixed, length, number):
            yield fixed


def _editable(length: int, number: int) -> int:
    """How far into the line a character may be put back or taken out. On a TD1's first line only the document
    number and its check digit: past them, only the composite digit would notice a wrong position (1 in 10)."""
    return 15 if (length, number) == (30, 0) else length


def _covered(length: int, number: int) -> bool:
    """Lines whose length can be repaired: those under check digits."""
    return (length, number) in {(30, 0), (30, 1), (44, 1)}


def _class_fixes(line: str, layout: str, fillers_misread: bool) -> str | None:
    """Deterministic fixes: a letter in a digits-only field, a digit in a letters-only field, can mean one thing."""
    chars = []
    for char, kind in zip(line, layout, strict=True):
        if kind == "D":
            char = _AS_DIGIT.get(char, char)
        elif kind == "C":
            char = "<" if char in _FILLER_MISREADS else _AS_DIGIT.get(char, char)
        elif kind in "AS":
            char = _AS_LETTER.get(char, char)
        if char not in _ALLOWED[kind]:
            return None
        chars.append(char)
    for at, kind in enumerate(layout):
        if kind == "N" and chars[at] in _FILLER_MISREADS:
            zone = _trailing_fillers_start(chars, layout, at)
            if zone is not None and at > zone:
                # Data never follows a filler inside a field: a K after a '<', with only fillers after it, is one.
                chars[at] = "<"
    return "".join(chars)


def _swaps(
    line: str, layout: str, length: int, number: int, fillers_misread: bool, *, only_fillers: bool = False
) -> Iterable[str]:
    """One look-alike swapped in a letters-and-digits field (O/0, I/1, S/5, B/8; and, from an engine that reads
    fillers as K/E/X, one of those right before a field's fillers)."""
    chars = list(line)
    for at, kind in enumerate(layout):
        if kind != "N":
            continue
        alternatives = "" if only_fillers else _TWINS.get(chars[at], "")
        if fillers_misread and chars[at] in _FILLER_MISREADS and _trailing_fillers_start(chars, layout, at) is not None:
            alternatives += "<"
        for alternative in alternatives:
            candidate = line[:at] + alternative + line[at + 1 :]
            if _line_digits_pass(candidate, length, number):
                yield candidate


def _trailing_fillers_start(chars: list[str], layout: str, at: int) -> int | None:
    """Where the field's run of fillers (and filler misreads) starts, if `at` is in that run or right before it."""
    end = at
    while end + 1 < len(layout) and layout[end + 1] == "N":
        end += 1
    if not all(c == "<" or c in _FILLER_MISREADS for c in chars[at : end + 1]):
        return None
    first_filler = next((i for i in range(at, end + 1) if chars[i] == "<"), None)
    start = at
    while start > 0 and layout[start - 1] == "N" and chars[start - 1] in "<" + _FILLER_MISREADS:
        start -= 1
        if chars[start] == "<":
            first_filler = start
    return first_filler


def _names_fillers(line: str, length: int, number: int, fillers_misread: bool) -> str | None:
    """Fillers read as K/E/X in the names field's tail, where only fillers may stand, become fillers again. From an
    engine that reads fillers as K/E/X, a last name part made of those letters only ("MARIA<KEX") is refused: it
    is more likely fillers than a name."""
    if (length, number) == (30, 2):
        head, names = "", line
    elif (length, number) == (44, 0):
        head, names = line[:5], line[5:]
    else:
        return line
    surname_end = names.find("<<")
    if surname_end >= 0:
        tail_start = names.find("<<", surname_end + 2)
        if tail_start >= 0:
            tail = names[tail_start:]
            if any(c not in "<" + _FILLER_MISREADS for c in tail):
                return None
            names = names[:tail_start] + "<" * len(tail)
    parts = [part for part in names.split("<") if part]
    if fillers_misread and parts and set(parts[-1]) <= set(_FILLER_MISREADS):
        return None
    return head + names


def _line_digits_pass(line: str, length: int, number: int) -> bool:
    """Check digits that lie within one line (the composite one spans two lines on TD1 and is checked later)."""

    def ok(field: str, digit: str) -> bool:
        return set(field) <= {"<"} if digit == "<" else check_digit(field) == digit

    if not all(_LEFT_ALIGNED.fullmatch(line[start:end]) for start, end in _DATA_FIELDS.get((length, number), ())):
        return False
    if (length, number) == (30, 0):
        return line[14] == "<" or ok(line[5:14], line[14])
    if (length, number) == (30, 1):
        return ok(line[0:6], line[6]) and ok(line[8:14], line[14])
    if (length, number) == (44, 1):
        return (
            ok(line[0:9], line[9])
            and ok(line[13:19], line[19])
            and ok(line[21:27], line[27])
            and ok(line[28:42], line[42])
            and ok(line[0:10] + line[13:20] + line[21:43], line[43])
        )
    return True


def known_state(code: str) -> bool:
    return alpha3_to_alpha2(code) is not None or code in _ICAO_SPECIAL_CODES


def _passes(lines: tuple[str, ...], today: datetime.date | None) -> bool:
    try:
        mrz = parse(lines, today=today)
    except MRZError:
        return False
    length = len(lines[0])
    names = lines[2] if length == 30 else lines[0][5:]
    return (
        mrz.check_digits_valid
        and mrz.birth_date is not None
        and mrz.expiry_date is not None
        and bool(_DOCUMENT_CODE[length].fullmatch(lines[0][:2]))
        and known_state(mrz.issuing_country)
        and known_state(mrz.nationality)
        and bool(_NAMES.fullmatch(names))
        and _spanish_number_valid(lines, mrz.issuing_country, mrz.document_code)
    )


def _spanish_number_valid(lines: tuple[str, ...], issuing_country: str, document_code: str) -> bool:
    """A Spanish identity card carries its holder's DNI (or a foreigner's card the NIE) in the optional data, with
    its own control letter: one more check on a read, where ICAO has only the composite digit."""
    if len(lines) != 3 or issuing_country != "ESP" or not document_code.startswith("I"):
        return True
    number = lines[0][15:24]
    return dni.is_valid(number) or nie.is_valid(number)
