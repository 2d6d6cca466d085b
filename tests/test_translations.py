"""The Spanish catalogue (locale/es/LC_MESSAGES/django.po and .mo) is complete and compiled, and Spanish is what a
client asking for it gets: API error messages and the admin follow Accept-Language, English stays the default.

The catalogue checks need no gettext tools (CI has none): the .po is read with the standard library, the messages
the code marks are found with `ast` (Python) and Django's own `templatize` (templates), and the committed .mo is
compared entry by entry with the .po through `gettext.GNUTranslations`.
"""

import ast
import gettext
import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation.template import templatize
from rest_framework import serializers

from identifications.api.holder_inputs import MRZLinesField
from identifications.models import Identification
from tests.admin import log_in_superuser
from tests.api.helpers import SEED_BODY, create_url, errors, post_json
from tests.factories import IdentificationFactory

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale" / "es" / "LC_MESSAGES"
PO, MO = LOCALE / "django.po", LOCALE / "django.mo"
# Where the project's translatable text lives (tests, bench and migrations say nothing to users).
SOURCE_DIRS = ("config", "identifications", "scoring")
TEMPLATE_DIRS = ("templates",)
UPDATE = "run `manage.py makemessages -l es ...`, translate, then `manage.py compilemessages` (README: Español)"

SPANISH = {"Accept-Language": "es"}
PYTHON_FORMAT = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]")
BRACE_FORMAT = re.compile(r"\{(\w+)\}")


@pytest.fixture(autouse=True)
def _english_afterwards():
    # LocaleMiddleware activates a request's language in the thread and leaves it there: later tests expect English.
    yield
    translation.activate(settings.LANGUAGE_CODE)


# --- The catalogue -------------------------------------------------------------------------------------------------


def _po_entries(text: str) -> list[dict]:
    """The entries of a .po file: {"msgctxt", "msgid", "msgid_plural", "msgstr": [forms], "flags"}; obsolete
    (#~) entries are left out, the header is the entry whose msgid is ""."""
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry = {"msgctxt": None, "msgid_plural": None, "msgstr": [], "flags": set()}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif match := re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line):
                key = match[1]
                value = ast.literal_eval(match[2])
                if key.startswith("msgstr"):
                    entry["msgstr"].append(value)
                else:
                    entry[key] = value
            elif line.startswith('"') and key is not None:
                value = ast.literal_eval(line)
                if key.startswith("msgstr"):
                    entry["msgstr"][-1] += value
                else:
                    entry[key] += value
            else:
                raise AssertionError(f"{PO}: unexpected line {line!r}")
        if "msgid" in entry:
            entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def catalogue() -> list[dict]:
    return _po_entries(PO.read_text(encoding="utf-8"))


def _messages(catalogue) -> list[dict]:
    return [entry for entry in catalogue if entry["msgid"]]


def _label(entry) -> str:
    return f"{entry['msgctxt']}|{entry['msgid']}" if entry["msgctxt"] else entry["msgid"]


def test_catalogue_has_a_spanish_header_with_its_plural_forms(catalogue):
    header = next(entry for entry in catalogue if entry["msgid"] == "")
    text = header["msgstr"][0]

    assert "Language: es\n" in text
    assert "Content-Type: text/plain; charset=UTF-8\n" in text
    assert re.search(r"Plural-Forms: nplurals=\d+;", text)
    assert "fuzzy" not in header["flags"]


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    header = next(entry for entry in catalogue if entry["msgid"] == "")["msgstr"][0]
    nplurals = int(re.search(r"nplurals=(\d+)", header)[1])
    messages = _messages(catalogue)

    untranslated = [_label(entry) for entry in messages if not all(form.strip() for form in entry["msgstr"])]
    fuzzy = [_label(entry) for entry in messages if "fuzzy" in entry["flags"]]
    wrong_plurals = [
        _label(entry) for entry in messages if entry["msgid_plural"] is not None and len(entry["msgstr"]) != nplurals
    ]

    assert len(messages) > 300
    assert untranslated == [], f"untranslated: {UPDATE}"
    assert fuzzy == [], f"fuzzy (review them, then drop the flag): {UPDATE}"
    assert wrong_plurals == [], f"need {nplurals} plural forms"


def test_translations_keep_the_placeholders_of_their_message(catalogue):
    """What msgfmt --check-format checks: a missing or misspelt %(name)s would raise or vanish at run time."""
    wrong = []
    for entry in _messages(catalogue):
        for flag, pattern in (("python-format", PYTHON_FORMAT), ("python-brace-format", BRACE_FORMAT)):
            if flag not in entry["flags"]:
                continue
            wanted = set(pattern.findall(entry["msgid"])) | set(pattern.findall(entry["msgid_plural"] or ""))
            found = [set(pattern.findall(form)) for form in entry["msgstr"]]
            # A singular form may leave the count out ("Close this identification?"); nothing else may differ.
            if any(not names <= wanted for names in found) or set().union(*found) != wanted:
                wrong.append(_label(entry))
    assert wrong == []


def _marked_in_python() -> set[tuple[str | None, str]]:
    """(context, msgid) of every literal passed to a gettext function in the project's Python."""
    singular = {"gettext", "gettext_lazy", "gettext_noop", "_", "ngettext", "ngettext_lazy"}
    with_context = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}
    marked = set()
    for directory in SOURCE_DIRS:
        for path in (ROOT / directory).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args):
                    continue
                literals = [arg.value if isinstance(arg, ast.Constant) else None for arg in node.args]
                if node.func.id in singular and isinstance(literals[0], str):
                    marked.add((None, literals[0]))
                elif node.func.id in with_context and len(literals) > 1 and isinstance(literals[1], str):
                    marked.add((literals[0], literals[1]))
    return marked


_TEMPLATE_CALL = re.compile(
    r"\b(gettext|ngettext|pgettext|npgettext)\(((?:\s*,?\s*u(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"))+)"
)
_TEMPLATE_LITERAL = re.compile(r"u('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


def _marked_in_templates() -> set[tuple[str | None, str]]:
    """The same for templates, through the conversion makemessages itself applies to them."""
    marked = set()
    for directory in TEMPLATE_DIRS:
        for path in (ROOT / directory).rglob("*.html"):
            converted = templatize(path.read_text(encoding="utf-8"), origin=str(path))
            for function, arguments in _TEMPLATE_CALL.findall(converted):
                literals = [ast.literal_eval(literal) for literal in _TEMPLATE_LITERAL.findall(arguments)]
                if function in ("pgettext", "npgettext"):
                    marked.add((literals[0], literals[1]))
                else:
                    marked.add((None, literals[0]))
    return marked


def test_every_marked_message_is_in_the_catalogue(catalogue):
    known = {(entry["msgctxt"], entry["msgid"]) for entry in catalogue}
    in_python, in_templates = _marked_in_python(), _marked_in_templates()

    assert len(in_python) > 200 and len(in_templates) > 50  # the extraction itself works
    assert sorted(in_python - known, key=str) == [], f"marked in Python but not in the catalogue: {UPDATE}"
    assert sorted(in_templates - known, key=str) == [], f"marked in templates but not in the catalogue: {UPDATE}"


def test_the_compiled_catalogue_matches_the_po_file(catalogue):
    """The committed .mo is what Django reads: it must hold exactly the .po's translations, no older ones."""
    with MO.open("rb") as file:
        compiled = gettext.GNUTranslations(file)._catalog  # {msgid or (msgid, form): msgstr}
    expected = {}
    for entry in _messages(catalogue):
        msgid = f"{entry['msgctxt']}\x04{entry['msgid']}" if entry["msgctxt"] else entry["msgid"]
        if entry["msgid_plural"] is None:
            expected[msgid] = entry["msgstr"][0]
        else:
            expected.update({(msgid, form): text for form, text in enumerate(entry["msgstr"])})
    compiled.pop("", None)  # the header

    stale = sorted(str(key) for key in expected if compiled.get(key) != expected[key])
    extra = sorted(str(key) for key in compiled.keys() - expected.keys())
    assert stale == [], "the .mo is older than the .po: run `manage.py compilemessages --ignore=.venv`"
    assert extra == [], "the .mo holds messages the .po no longer has: run `manage.py compilemessages`"


# --- The API -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_field_errors_follow_accept_language_and_keep_their_code(client, auth):
    body = {**SEED_BODY, "configuration_name": "ULTRA"}

    spanish = post_json(client, create_url(), body, {**auth, **SPANISH})
    english = post_json(client, create_url(), body, auth)

    assert spanish.status_code == english.status_code == 400
    [es], [en] = errors(spanish), errors(english)
    assert es["code"] == en["code"] == "invalid_choice"
    assert es["field"] == en["field"] == "configuration_name"
    assert es["message"].startswith('"ULTRA" no es una opción válida. Valores permitidos: ')
    assert en["message"].startswith('"ULTRA" is not a valid choice. Allowed values: ')
    assert spanish["Content-Language"] == "es" and english["Content-Language"] == "en"
    assert "Accept-Language" in spanish["Vary"]


@pytest.mark.django_db
def test_api_messages_of_django_rest_framework_are_spanish_too(client, auth):
    body = {**SEED_BODY, "identity_document": {"document_number": "12345678A"}, "unknown": 1}

    response = post_json(client, create_url(), body, {**auth, "Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})

    assert response.status_code == 400
    assert {(entry["field"], entry["code"], entry["message"]) for entry in errors(response)} == {
        ("identity_document.document_type", "required", "Este campo es requerido."),
        ("unknown", "unknown_field", "Campo desconocido."),
    }


def test_api_401_is_spanish(client):
    response = post_json(client, create_url(), SEED_BODY, SPANISH)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert errors(response) == [
        {"code": "not_authenticated", "message": "No se han proporcionado credenciales de autenticación."}
    ]


@pytest.mark.django_db
def test_api_401_for_a_bad_key_is_spanish(client):
    response = post_json(client, create_url(), SEED_BODY, {"Authorization": "Bearer abc.def", **SPANISH})

    assert response.status_code == 401
    assert errors(response) == [{"code": "authentication_failed", "message": "La clave de API no es válida."}]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (SPANISH, "Ningún endpoint de la API corresponde a esta ruta."),
        ({}, "No API endpoint matches this path."),
        # A language the service does not speak falls back to English.
        ({"Accept-Language": "fr-FR,fr;q=0.9"}, "No API endpoint matches this path."),
    ],
)
def test_api_404_catch_all_follows_accept_language(client, headers, message):
    response = client.get("/v1/nothing/here", headers=headers)

    assert response.status_code == 404
    assert errors(response) == [{"code": "not_found", "message": message}]


def test_mrz_errors_are_translated_from_their_template():
    field = MRZLinesField()

    with translation.override("es"), pytest.raises(serializers.ValidationError) as raised:
        field.run_validation(["P<ESPSMITH", "L898902C36ESP7408122F1204159"])

    assert raised.value.detail == ["la línea 1 tiene 10 caracteres; una línea de MRZ TD3 tiene 44"]


@pytest.mark.django_db
def test_management_command_output_follows_the_active_language():
    stdout = StringIO()

    with translation.override("es"):
        call_command("expire_identifications", stdout=stdout)

    assert stdout.getvalue().strip() == "Marcadas como caducadas 0 identificaciones."


# --- The admin -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_login_page_is_spanish_with_a_spanish_browser(client):
    spanish = client.get(reverse("admin:login"), headers=SPANISH).content.decode()
    english = client.get(reverse("admin:login")).content.decode()

    assert '<html lang="es"' in spanish
    assert "Identificación con documento de identidad" in spanish  # our site header
    assert "Iniciar sesión" in spanish  # Django's own
    assert "Identity-document identification" in english and "Log in" in english


@pytest.mark.django_db
def test_identification_changelist_is_spanish_with_a_spanish_browser(client):
    log_in_superuser(client)
    IdentificationFactory(status=Identification.Status.PENDING)
    changelist = reverse("admin:identifications_identification_changelist")

    spanish = client.get(changelist, headers=SPANISH).content.decode()
    english = client.get(changelist).content.decode()

    for text in (
        "Por estado",  # filter titles: the field's verbose name, our filters' titles
        "Por resultado",
        "Por organización",
        "Último intento superado",
        ">Pendiente<",  # the status badge
        "Número de documento",  # a column
        "Cerrar las identificaciones seleccionadas",  # an action
    ):
        assert text in spanish, text
    for text in ("By status", "By outcome", "Latest attempt passed", ">Pending<", "Document number"):
        assert text in english, text


@pytest.mark.django_db
def test_dashboard_is_spanish_with_a_spanish_browser(client):
    log_in_superuser(client)

    html = client.get(reverse("admin:dashboard"), headers=SPANISH).content.decode()

    assert "Todas las organizaciones" in html
    assert "Últimos 7 días" in html
    assert "Por día, últimos 30 días" in html
