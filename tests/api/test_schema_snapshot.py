"""The published contract is pinned: docs/openapi.yaml is the committed OpenAPI document, and any change to what
the code generates (a renamed component, a new field, a changed description) shows up as a failing test and, once
regenerated, as a diff in review."""

import difflib
from io import StringIO
from pathlib import Path

import yaml
from django.core.management import call_command

SNAPSHOT = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
REGENERATE = "make openapi  (or: DEBUG=true .venv/bin/python manage.py spectacular --file docs/openapi.yaml)"


def generated_schema(tmp_path) -> str:
    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(out), stdout=StringIO())
    return out.read_text()


def test_generated_schema_matches_the_committed_document(tmp_path):
    generated = generated_schema(tmp_path)
    committed = SNAPSHOT.read_text()

    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            generated.splitlines(keepends=True),
            fromfile="docs/openapi.yaml (committed)",
            tofile="generated from the code",
            n=2,
        )
    )
    assert not diff, f"The OpenAPI document changed. If that is intended, regenerate it with {REGENERATE}\n{diff}"


def test_request_components_keep_their_published_names(tmp_path):
    components = yaml.safe_load(generated_schema(tmp_path))["components"]["schemas"]

    published = {
        "CreateIdentityDocumentIdentificationRequest",
        "CreateIdentityDocumentIdentificationResponse",
        "CloseIdentityDocumentIdentificationRequest",
        "RedactIdentityDocumentIdentificationRequest",
        "ValidateIdentityDocumentIdentificationRequest",
        "ErrorsResponse",
    }
    assert published <= set(components), sorted(published - set(components))
    assert not [name for name in components if name.endswith("RequestRequest")]
