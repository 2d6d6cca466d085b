"""Comparison of a declared name against the name read off a document.

Documents and people spell names differently: accents dropped (MRZs hold A-Z only), hyphens turned into
spaces, Spanish double surnames given in full, in part or hyphenated, particles ("de la") kept or not,
the name/surname boundary misplaced by OCR, and small OCR typos. The comparison is token based with a
similarity threshold for typos, and strict enough that a different given name fails.

Reasons returned never quote the names: they reach API responses and logs.
"""

import unicodedata
from difflib import SequenceMatcher

SIMILARITY_THRESHOLD = 0.85
# One letter makes a different short name (LUIS/LUISA, JUAN/JUANA): only longer tokens may differ.
MIN_FUZZY_LENGTH = 5
# Spanish, Catalan and Portuguese particles that documents and people keep or drop inconsistently.
PARTICLES = frozenset({"DE", "DEL", "LA", "LAS", "LOS", "Y", "I", "E", "DA", "DAS", "DO", "DOS"})
_VOWELS = frozenset("AEIOU")
_SEPARATORS = frozenset(",/<_")


def normalise(text: str) -> str:
    """Upper-case text with accents stripped, dashes as spaces, other punctuation dropped."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    chars = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        # Any dash (category Pd: hyphen, en dash, ...) separates words like a space.
        if char.isspace() or char in _SEPARATORS or unicodedata.category(char) == "Pd":
            chars.append(" ")
        elif char.isalnum():
            chars.append(char)
        # Apostrophes and other punctuation are dropped, as ICAO does ("O'Neil" -> "ONEIL").
    return " ".join("".join(chars).upper().split())


def _tokens(text: str | None) -> list[str]:
    tokens = normalise(text or "").split()
    significant = [token for token in tokens if token not in PARTICLES]
    # A name made only of particle-like words is still a name.
    return significant or tokens


def _similar(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < MIN_FUZZY_LENGTH:
        return False
    # Gendered pairs (MARIANO/MARIANA, FRANCISCO/FRANCISCA) differ only in the final vowel and are
    # different people, though their ratio clears the threshold.
    if len(a) == len(b) and a[:-1] == b[:-1] and {a[-1], b[-1]} <= _VOWELS:
        return False
    return SequenceMatcher(None, a, b).ratio() >= SIMILARITY_THRESHOLD


def _matched(shorter: list[str], longer: list[str]) -> int:
    """How many tokens of ``shorter`` pair off with distinct tokens of ``longer``."""
    unused = list(longer)
    count = 0
    for token in shorter:
        # Exact pairs first, so a fuzzy pair cannot steal the token another one matches exactly.
        partner = next((other for other in unused if other == token), None)
        if partner is None:
            partner = next((other for other in unused if _similar(token, other)), None)
        if partner is not None:
            unused.remove(partner)
            count += 1
    return count


def _part_matches(declared: list[str], read: list[str]) -> bool:
    """Given names or surnames: one side may hold fewer tokens, but each must pair with one on the other
    side, and the first ones (first given name, paternal surname) must agree."""
    if _similar("".join(declared), "".join(read)):
        return True  # Covers tokens merged or split by OCR ("GARCIAMARQUEZ").
    shorter, longer = sorted((declared, read), key=len)
    return _similar(shorter[0], longer[0]) and _matched(shorter, longer) == len(shorter)


def _whole_matches(declared: list[str], read: list[str]) -> bool:
    # Same tokens overall, whatever the name/surname boundary (or order) on either side.
    return len(declared) == len(read) and _matched(declared, read) == len(declared)


def names_match(
    *,
    declared_name: str | None,
    declared_last_name: str | None,
    read_name: str | None,
    read_last_name: str | None,
) -> tuple[bool, str]:
    """Whether the declared given name and surnames match those read off the document, and why."""
    declared_given, declared_surnames = _tokens(declared_name), _tokens(declared_last_name)
    read_given, read_surnames = _tokens(read_name), _tokens(read_last_name)
    missing = [
        reason
        for tokens, reason in (
            (declared_given, "no name was declared"),
            (declared_surnames, "no surname was declared"),
            (read_given, "no name was read off the document"),
            (read_surnames, "no surname was read off the document"),
        )
        if not tokens
    ]
    if missing:
        return False, missing[0]
    if _whole_matches(declared_given + declared_surnames, read_given + read_surnames):
        return True, "the name and surnames match"
    given_ok = _part_matches(declared_given, read_given)
    surnames_ok = _part_matches(declared_surnames, read_surnames)
    if given_ok and surnames_ok:
        return True, "the name and surnames match"
    if given_ok:
        return False, "the surnames do not match"
    if surnames_ok:
        return False, "the given name does not match"
    return False, "neither the given name nor the surnames match"
