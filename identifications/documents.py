import re


def normalise_document_number(value: str) -> str:
    """How document numbers are stored and searched: no spaces or hyphens, upper case ("1234-5678 z" -> "12345678Z")."""
    return re.sub(r"[\s-]", "", value).upper()
