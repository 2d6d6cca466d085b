"""Document types and scoring configurations edited by staff, and the read-only audit trail."""

import pytest
from django.urls import reverse

from identifications.actors import Actor
from identifications.models import DocumentType, IdentificationEvent
from identifications.selectors.reference import active_document_types, configurations
from identifications.services.lifecycle import identification_close
from scoring.checks import Check
from scoring.models import Configuration
from tests.admin import log_in, log_in_superuser
from tests.factories import IdentificationFactory


@pytest.fixture
def superuser(client, db):
    return log_in_superuser(client)


def test_document_types_are_listed(client, superuser):
    response = client.get(reverse("admin:identifications_documenttype_changelist"))

    assert response.status_code == 200
    rows = response.context["cl"].result_list
    assert [row.code for row in rows if row.active] == ["NIE", "NIF", "PASSPORT"]
    # One inactive type per other national identity number, for staff to activate.
    assert len([row for row in rows if not row.active]) == 16


def test_adding_a_document_type_makes_it_an_allowed_api_value_at_once(client, superuser):
    assert "DNI_OLD" not in active_document_types()  # now cached

    response = client.post(
        reverse("admin:identifications_documenttype_add"),
        {"code": "DNI_OLD", "label": "Old DNI", "number_pattern": "^[0-9]{8}$", "country": "ES", "active": "on"},
    )

    assert response.status_code == 302
    assert DocumentType.objects.get(code="DNI_OLD").number_matches("12345678")
    assert "DNI_OLD" in active_document_types()


def test_an_invalid_number_pattern_is_refused(client, superuser):
    response = client.post(
        reverse("admin:identifications_documenttype_add"),
        {"code": "BROKEN", "label": "Broken", "number_pattern": "^[0-9", "country": "", "active": "on"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["number_pattern"][0].startswith("Not a valid regular expression")
    assert not DocumentType.objects.filter(code="BROKEN").exists()


def test_a_document_type_code_cannot_be_renamed_but_can_be_deactivated(client, superuser):
    passport = DocumentType.objects.get(code="PASSPORT")
    active_document_types()

    response = client.post(
        reverse("admin:identifications_documenttype_change", args=[passport.pk]),
        {"code": "PASS", "label": "Passport", "number_pattern": passport.number_pattern, "country": ""},
    )

    assert response.status_code == 302
    passport.refresh_from_db()
    assert (passport.code, passport.active) == ("PASSPORT", False)
    assert "PASSPORT" not in active_document_types()


def test_configuration_required_checks_are_checkboxes(client, superuser):
    medium = Configuration.objects.get(name="MEDIUM")

    response = client.get(reverse("admin:scoring_configuration_change", args=[medium.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    for check in Check:
        assert f'type="checkbox" name="required_checks" value="{check.value}"' in html
    assert 'value="name_match"' in html and "checked" in html.split('value="name_match"')[1].split(">")[0]
    assert "checked" not in html.split('value="mrz_valid"')[1].split(">")[0]


def test_saving_a_configuration_stores_the_ticked_checks_in_order(client, superuser):
    low = Configuration.objects.get(name="LOW")
    assert configurations()["LOW"].required_checks == ["document_control_character"]  # now cached

    response = client.post(
        reverse("admin:scoring_configuration_change", args=[low.pk]),
        {
            "name": "RENAMED",
            "description": "Stricter low",
            "minimum_score": "55",
            "maximum_attempts": "3",
            "required_checks": ["name_match", "document_control_character"],
        },
    )

    assert response.status_code == 302
    low.refresh_from_db()
    assert low.name == "LOW"  # the API's configuration_name stays
    assert (low.minimum_score, low.maximum_attempts) == (55, 3)
    assert low.required_checks == ["document_control_character", "name_match"]
    assert configurations()["LOW"].minimum_score == 55


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"required_checks": ["selfie_match"]}, "required_checks"),
        ({"minimum_score": "101"}, "minimum_score"),
        ({"maximum_attempts": "0"}, "maximum_attempts"),
    ],
)
def test_an_invalid_configuration_is_refused(client, superuser, data, field):
    high = Configuration.objects.get(name="HIGH")
    valid = {"description": "", "minimum_score": "90", "maximum_attempts": "5", "required_checks": []}

    response = client.post(reverse("admin:scoring_configuration_change", args=[high.pk]), {**valid, **data})

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    high.refresh_from_db()
    assert (high.minimum_score, high.maximum_attempts) == (90, 5)


def test_a_configuration_can_be_added_with_no_required_checks(client, superuser):
    response = client.post(
        reverse("admin:scoring_configuration_add"),
        {"name": "TRIAL", "description": "", "minimum_score": "10", "maximum_attempts": "1"},
    )

    assert response.status_code == 302
    assert Configuration.objects.get(name="TRIAL").required_checks == []


@pytest.mark.django_db
def test_the_audit_trail_is_listed_read_only(client):
    user = log_in(client, "auditor", "identifications.view_identificationevent")
    closed, other = IdentificationFactory(), IdentificationFactory()
    identification_close(identification_id=closed.pk, actor=Actor.staff(user), reason="Asked by phone")
    identification_close(identification_id=other.pk, actor=Actor.command("close_identification"))
    changelist = reverse("admin:identifications_identificationevent_changelist")

    listing = client.get(changelist)
    by_identification = client.get(changelist, {"q": str(closed.pk)})
    by_actor = client.get(changelist, {"q": "auditor"})
    event = IdentificationEvent.objects.get(identification=closed)
    detail = client.get(reverse("admin:identifications_identificationevent_change", args=[event.pk]))
    edit = client.post(reverse("admin:identifications_identificationevent_change", args=[event.pk]), {"reason": "x"})

    assert listing.status_code == 200
    assert "Asked by phone" in listing.content.decode()
    assert [row.pk for row in by_identification.context["cl"].result_list] == [event.pk]
    assert [row.pk for row in by_actor.context["cl"].result_list] == [event.pk]
    assert detail.status_code == 200
    assert edit.status_code == 403
    assert client.get(reverse("admin:identifications_identificationevent_add")).status_code == 403
    event.refresh_from_db()
    assert event.reason == "Asked by phone"


def test_staff_see_and_change_a_document_types_number_validator(client, superuser):
    nif = DocumentType.objects.get(code="NIF")
    page = client.get(reverse("admin:identifications_documenttype_change", args=[nif.pk])).content.decode()
    assert '<select name="number_validator"' in page
    assert '<option value="es.dni" selected>Spain: DNI (es.dni)</option>' in page

    response = client.post(
        reverse("admin:identifications_documenttype_change", args=[nif.pk]),
        {
            "label": nif.label,
            "number_pattern": nif.number_pattern,
            "number_validator": "",
            "country": "ES",
            "active": "on",
        },
    )

    assert response.status_code == 302
    assert DocumentType.objects.get(code="NIF").number_validator == ""
    listing = client.get(reverse("admin:identifications_documenttype_changelist") + "?number_validator=pl.pesel")
    assert [row.code for row in listing.context["cl"].result_list] == ["PL_PESEL"]
