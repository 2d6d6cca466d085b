"""Full document numbers, on screen and in CSV exports, only for staff with the dedicated permission."""

import csv
import io

from django.contrib.admin import helpers

from identifications.models import Identification
from tests.admin import log_in
from tests.factories import IdentificationFactory

CHANGELIST = "/admin/identifications/identification/"
VIEW = "identifications.view_identification"
REVEAL = "identifications.view_document_number"


def detail_url(identification):
    return f"{CHANGELIST}{identification.pk}/change/"


def test_detail_masks_the_number_without_the_permission(client, db):
    identification = IdentificationFactory(document_number="48151623Q")
    log_in(client, "viewer", VIEW)

    response = client.get(detail_url(identification))

    assert response.status_code == 200
    assert b"48151623Q" not in response.content
    assert b"******23Q" in response.content


def test_detail_reveals_the_number_with_the_permission(client, db):
    identification = IdentificationFactory(document_number="48151623Q")
    log_in(client, "revealer", VIEW, REVEAL)

    response = client.get(detail_url(identification))

    assert b"48151623Q" in response.content


def export(client, identifications):
    return client.post(
        CHANGELIST,
        {"action": "export_csv", helpers.ACTION_CHECKBOX_NAME: [str(i.pk) for i in identifications]},
    )


def test_csv_export_streams_the_selected_rows_with_full_numbers(client, db):
    rows = [IdentificationFactory(document_number=f"1000000{n}Z") for n in range(3)]
    log_in(client, "exporter", VIEW, REVEAL)

    response = export(client, rows)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="identifications-')
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row["id"] for row in table} == {str(row.pk) for row in rows}
    assert {row["document_number"] for row in table} == {"10000000Z", "10000001Z", "10000002Z"}
    assert table[0]["status"] == "PENDING" and table[0]["document_type"] == "NIF"


def test_export_is_not_offered_or_allowed_without_the_permission(client, db):
    rows = [IdentificationFactory()]
    log_in(client, "viewer", VIEW)

    changelist = client.get(CHANGELIST)
    response = export(client, rows)

    assert b'value="export_csv"' not in changelist.content
    # Django answers an action the user may not run by showing the changelist again, without a file.
    assert not response.get("Content-Disposition")
    assert Identification.objects.count() == 1
