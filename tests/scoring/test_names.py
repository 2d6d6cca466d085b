import pytest

from scoring.names import names_match, normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("José", "JOSE"),
        ("  garcía-márquez ", "GARCIA MARQUEZ"),
        ("Muñoz  Ibáñez", "MUNOZ IBANEZ"),
        ("O'Neil", "ONEIL"),
        ("Anna-Maria, Jr.", "ANNA MARIA JR"),
        ("ERIKSSON<<ANNA", "ERIKSSON ANNA"),
        ("Françoise Lefèvre", "FRANCOISE LEFEVRE"),
        ("Jürgen\tMüller", "JURGEN MULLER"),
        ("García\u2013Márquez", "GARCIA MARQUEZ"),  # en dash
        ("", ""),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


def _match(declared_name, declared_last_name, read_name, read_last_name):
    return names_match(
        declared_name=declared_name,
        declared_last_name=declared_last_name,
        read_name=read_name,
        read_last_name=read_last_name,
    )


@pytest.mark.parametrize(
    ("declared_name", "declared_last_name", "read_name", "read_last_name"),
    [
        ("José", "García Márquez", "JOSE", "GARCIA MARQUEZ"),
        ("jose", "garcia marquez", "JOSÉ", "GARCÍA MÁRQUEZ"),
        # Only the first surname on the document (foreign documents) or in the declaration.
        ("José", "García Márquez", "JOSE", "GARCIA"),
        ("José", "García", "JOSE", "GARCIA MARQUEZ"),
        ("José", "García Márquez", "JOSE", "GARCIA-MARQUEZ"),
        ("José", "García-Márquez", "JOSE", "GARCIA MARQUEZ"),
        # The name/surname boundary in a different place on either side.
        ("José", "García Márquez", "JOSE GARCIA", "MARQUEZ"),
        ("José García", "Márquez", "JOSE", "GARCIA MARQUEZ"),
        # Tokens merged by OCR.
        ("José", "García Márquez", "JOSE", "GARCIAMARQUEZ"),
        # Particles kept or dropped.
        ("Ana", "de la Fuente", "ANA", "FUENTE"),
        ("Ana", "Fuente", "ANA", "DE LA FUENTE"),
        ("María del Carmen", "López y Pérez", "MARIA CARMEN", "LOPEZ PEREZ"),
        # A given name the declaration leaves out.
        ("José", "García", "JOSE MARIA", "GARCIA"),
        # Small OCR typos in longer names.
        ("Anna Maria", "Eriksson", "ANNA MARIA", "ERIKSON"),
        ("José", "Márquez", "JOSE", "MARQUES"),
        ("Jürgen", "Müller", "JURGEN", "MUELLER"),
    ],
)
def test_same_person_matches(declared_name, declared_last_name, read_name, read_last_name):
    passed, reason = _match(declared_name, declared_last_name, read_name, read_last_name)
    assert passed, reason
    assert reason == "the name and surnames match"


@pytest.mark.parametrize(
    ("declared_name", "declared_last_name", "read_name", "read_last_name", "reason"),
    [
        ("James", "Smith", "JOHN", "SMITH", "the given name does not match"),
        ("Luis", "García", "LUISA", "GARCIA", "the given name does not match"),
        ("Mariano", "López", "MARIANA", "LOPEZ", "the given name does not match"),
        ("Francisco", "López", "FRANCISCA", "LOPEZ", "the given name does not match"),
        ("Ana María", "López", "MARIA", "LOPEZ", "the given name does not match"),
        ("José", "García", "JOSE", "PEREZ", "the surnames do not match"),
        ("José", "Garcia", "JOSE", "GARZA", "the surnames do not match"),
        # The paternal surname leads: the second alone is not enough.
        ("José", "Márquez", "JOSE", "GARCIA MARQUEZ", "the surnames do not match"),
        ("Anna", "Eriksson", "JOHN", "SMITH", "neither the given name nor the surnames match"),
    ],
)
def test_different_people_do_not_match(declared_name, declared_last_name, read_name, read_last_name, reason):
    assert _match(declared_name, declared_last_name, read_name, read_last_name) == (False, reason)


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        ((None, "García", "JOSE", "GARCIA"), "no name was declared"),
        (("José", "  ", "JOSE", "GARCIA"), "no surname was declared"),
        (("José", "García", "", "GARCIA"), "no name was read off the document"),
        (("José", "García", "JOSE", None), "no surname was read off the document"),
        (("-", "García", "JOSE", "GARCIA"), "no name was declared"),
    ],
)
def test_missing_names_fail_and_say_what_is_missing(names, reason):
    assert _match(*names) == (False, reason)


def test_a_name_made_only_of_particles_still_counts():
    assert _match("Ana", "de la", "ANA", "DE LA")[0]
    assert not _match("Ana", "de la", "ANA", "GARCIA")[0]


@pytest.mark.parametrize(
    "names",
    [
        ("José", "García Márquez", "JOSE", "GARCIA MARQUEZ"),
        ("James", "Smith", "JOHN", "SMITH"),
        ("José", "García", "JOSE", "PEREZ"),
        ("Anna", "Eriksson", "JOHN", "SMITH"),
    ],
)
def test_reasons_never_quote_the_names(names):
    _, reason = _match(*names)
    words = {word for name in names for word in normalise(name).split()}
    assert not words & set(normalise(reason).split())
