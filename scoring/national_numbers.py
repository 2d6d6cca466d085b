"""National identity numbers: the python-stdnum modules a document type may name as its number validator.

Pure Python (no Django), like the rest of the checks. A validator is named by its module path under ``stdnum``
("es.dni"); the names are stored in DocumentType.number_validator, so they are a stable contract. Only modules
for personal identity numbers are offered, and only those whose compact form survives the service's own
normalisation (identifications.documents): Finland's HETU is left out because its hyphen is a century sign.
"""

import contextlib
import datetime
import importlib
from types import ModuleType

from stdnum.exceptions import ValidationError

from identifications.documents import normalise_document_number

# Module path -> what it validates (English; the admin shows its own translated labels).
NUMBER_VALIDATORS: dict[str, str] = {
    "es.dni": "Spain: DNI",
    "es.nie": "Spain: NIE",
    "pt.cc": "Portugal: Cartão de Cidadão",
    "it.codicefiscale": "Italy: codice fiscale",
    "be.nn": "Belgium: national number",
    "nl.bsn": "Netherlands: BSN",
    "pl.pesel": "Poland: PESEL",
    "se.personnummer": "Sweden: personnummer",
    "no.fodselsnummer": "Norway: fødselsnummer",
    "dk.cpr": "Denmark: CPR",
    "ee.ik": "Estonia: isikukood",
    "lt.asmens": "Lithuania: asmens kodas",
    "ro.cnp": "Romania: CNP",
    "bg.egn": "Bulgaria: EGN",
    "cz.rc": "Czechia: rodné číslo",
    "sk.rc": "Slovakia: rodné číslo",
    "si.emso": "Slovenia: EMŠO",
    "hr.oib": "Croatia: OIB",
}


class UnknownValidator(LookupError):
    pass


def validator_module(name: str) -> ModuleType:
    if name not in NUMBER_VALIDATORS:
        raise UnknownValidator(name)
    return importlib.import_module(f"stdnum.{name}")


def normalise_number(value: str, validator: str | None) -> str:
    """The stored form: the validator's compact form (which drops its own separators, such as Belgium's dots or
    the Czech slash) put through the service's normalisation (no spaces or hyphens, upper case)."""
    if validator:
        # On failure, the house normalisation alone: the number is then checked and refused as it is.
        with contextlib.suppress(UnknownValidator, ValidationError):
            value = validator_module(validator).compact(value)
    return normalise_document_number(value)


def birth_date(number: str, validator: str | None) -> datetime.date | None:
    """The birth date the number encodes, when its validator knows how to read one and the number is valid."""
    module = _valid_module(number, validator)
    reader = getattr(module, "get_birth_date", None)
    return _safely(reader, number)


def sex(number: str, validator: str | None) -> str | None:
    """ "M" or "F" when the number encodes the holder's sex and is valid; None otherwise."""
    module = _valid_module(number, validator)
    value = _safely(getattr(module, "get_gender", None), number)
    return value if value in ("M", "F") else None


def _valid_module(number: str, validator: str | None) -> ModuleType | None:
    if not validator:
        return None
    try:
        module = validator_module(validator)
        module.validate(number)
    except (UnknownValidator, ValidationError):
        return None
    return module


def _safely(reader, number):
    if reader is None:
        return None
    try:
        return reader(number)
    except (ValidationError, ValueError):
        return None
