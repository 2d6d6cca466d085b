"""An attempt's MRZ on the identification's admin page: the one read off the image beside the one the app sent,
masked without the document-number permission, and the cross-checks of mrz_read_from_evidence that failed."""

import re

import pytest
from django.urls import reverse

from tests.admin import log_in
from tests.api.validation_helpers import MRZ
from tests.factories import ScoringAttemptFactory

VIEW = "identifications.view_identification"
REVEAL = "identifications.view_document_number"
OTHER_MRZ = [
    "IDESPBXZ654321087654321X<<<<<<",
    "9001011F3001019ESP<<<<<<<<<<<7",
    "PEREZ<RUIZ<<ANA<<<<<<<<<<<<<<<",
]
FAILED_READ = {
    "name": "mrz_read_from_evidence",
    "passed": False,
    "weight": 20,
    "reason": "the MRZ read off the evidence image disagrees on: MRZ sent by the app, document number, name",
}
pytestmark = pytest.mark.django_db


def mrz_cell(client, attempt) -> str:
    html = client.get(reverse("admin:identifications_identification_change", args=[attempt.identification_id]))
    [cell] = re.findall(
        r'<span class="attempt-mrz">.*?</span></span>(?=</div>|</p>|</td>)', html.content.decode(), re.S
    )
    return cell


def code_blocks(cell: str) -> dict[str, str]:
    return dict(re.findall(r'<span class="mrz-(\w+)"[^>]*>[^<]*<code[^>]*>([^<]*)</code>', cell))


def test_both_mrzs_are_masked_without_the_document_number_permission(client):
    log_in(client, "viewer", VIEW)
    attempt = ScoringAttemptFactory(evidence_mrz=OTHER_MRZ, checks=[FAILED_READ])

    cell = mrz_cell(client, attempt)

    blocks = code_blocks(cell)
    assert blocks == {
        "read": "IDESP*******************&lt;&lt;&lt;&lt;&lt;&lt;\n"
        "******************&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;*\n"
        "*****&lt;****&lt;&lt;***&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;",
        "sent": "IDESP*******************&lt;&lt;&lt;&lt;&lt;&lt;\n"
        "******************&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;*\n"
        "******&lt;*******&lt;&lt;****&lt;*****&lt;&lt;&lt;&lt;",
    }
    for personal in ("12345678Z", "87654321X", "GARCIA", "PEREZ", "850312", "900101"):
        assert personal not in cell
    assert "Failed cross-checks: MRZ sent by the app, document number, name" in cell


def test_both_mrzs_are_shown_with_the_permission(client):
    log_in(client, "investigator", VIEW, REVEAL)
    attempt = ScoringAttemptFactory(evidence_mrz=OTHER_MRZ, checks=[FAILED_READ])

    blocks = code_blocks(mrz_cell(client, attempt))

    assert blocks == {
        "read": "\n".join(OTHER_MRZ).replace("<", "&lt;"),
        "sent": "\n".join(MRZ).replace("<", "&lt;"),
    }


def test_nothing_read_is_said_and_a_passed_reading_lists_no_failure(client):
    log_in(client, "investigator", VIEW, REVEAL)
    unread = ScoringAttemptFactory(evidence_mrz=None)
    passed = ScoringAttemptFactory(
        checks=[{**FAILED_READ, "passed": True, "reason": "the MRZ read off the evidence image is valid"}]
    )

    assert code_blocks(mrz_cell(client, unread))["read"] == "nothing was read"
    assert "Failed cross-checks" not in mrz_cell(client, passed)


def test_an_attempt_without_any_mrz_shows_a_dash(client):
    log_in(client, "viewer", VIEW)
    attempt = ScoringAttemptFactory(evidence_mrz=None, evidence_metadata={})
    html = client.get(reverse("admin:identifications_identification_change", args=[attempt.identification_id]))
    assert 'class="attempt-mrz"' not in html.content.decode()


def test_the_cross_checks_are_in_spanish_for_a_spanish_reader(client):
    log_in(client, "viewer", VIEW)
    attempt = ScoringAttemptFactory(evidence_mrz=OTHER_MRZ, checks=[FAILED_READ])
    response = client.get(
        reverse("admin:identifications_identification_change", args=[attempt.identification_id]),
        headers={"Accept-Language": "es"},
    )
    html = response.content.decode()
    assert "Comprobaciones cruzadas fallidas: MRZ enviada por la app, número de documento, nombre" in html
    assert "Leída de la imagen" in html
