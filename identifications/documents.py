"""Document numbers, normalised one way for storing, searching (API and admin) and scoring (scoring/internal.py).

Pure Python with no Django imports, so scoring can use it without depending on the identifications app.
"""

import re


def normalise_document_number(value: str) -> str:
    """How document numbers are stored and searched: no spaces or hyphens, upper case ("1234-5678 z" -> "12345678Z")."""
    return re.sub(r"[\s-]", "", value).upper()
