"""A national document type staff activate in the admin: the API accepts it at once, numbers are stored in the
validator's normalised form, and a number failing the stdnum check fails document_control_character."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from identifications.models import DocumentType, Identification
from tests.admin import log_in_superuser
from tests.api.helpers import create_url, error_fields, post_json
from tests.api.validation_helpers import DEVICE, validate_url

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def body(number, document_type="PL_PESEL", country="PL"):
    return {
        "name": "Jan",
        "last_name": "Kowalski",
        "identity_document": {"document_number": number, "document_type": document_type, "country": country},
        "configuration_name": "LOW",
    }


def activate(client, code):
    row = DocumentType.objects.get(code=code)
    fields = {
        "label": row.label,
        "number_pattern": row.number_pattern,
        "number_validator": row.number_validator,
        "country": row.country.code,
        "active": "on",
    }
    log_in_superuser(client)
    response = client.post(reverse("admin:identifications_documenttype_change", args=[row.pk]), fields)
    assert response.status_code == 302
    client.logout()


@pytest.mark.django_db
def test_an_inactive_national_type_is_refused_until_staff_activate_it(client, auth):
    refused = post_json(client, create_url(), body("44051401359"), auth)
    assert refused.status_code == 400
    assert ("identity_document.document_type", "invalid_choice") in error_fields(refused)

    activate(client, "PL_PESEL")
    created = post_json(client, create_url(), body("44051401359"), auth)

    assert created.status_code == 200, created.content
    assert created.json()["identity_document"] == {
        "document_number": "44051401359",
        "document_type": "PL_PESEL",
        "country": "PL",
    }


@pytest.mark.django_db
def test_a_number_is_stored_in_its_validators_normalised_form(client, auth):
    activate(client, "BE_NN")

    created = post_json(client, create_url(), body("85.07.30-033.28", "BE_NN", "BE"), auth)

    assert created.status_code == 200, created.content
    assert Identification.objects.get().document_number == "85073003328"


@pytest.mark.django_db
@pytest.mark.parametrize(("number", "passed"), [("44051401359", True), ("44051401358", False)])
def test_the_control_character_check_applies_the_types_validator(client, auth, settings, tmp_path, number, passed):
    settings.MEDIA_ROOT = tmp_path
    activate(client, "PL_PESEL")
    with time_machine.travel(NOW, tick=False):
        opened = post_json(client, create_url(), body(number), auth).json()
        headers = {"Authorization": f"Bearer {opened['client_secret']}", **DEVICE}
        response = post_json(
            client, validate_url(opened["id"]), {"evidence_metadata": {"document_number": number}}, headers
        )

    assert response.status_code == 204
    result = Identification.objects.get(pk=opened["id"]).result
    [check] = [check for check in result["checks"] if check["name"] == "document_control_character"]
    assert check["passed"] is passed
    if not passed:
        assert check["reason"] == "the control character does not match the number"
