"""Closing several identifications at once from the changelist's action menu."""

import pytest
from playwright.sync_api import expect

from identifications.models import Identification
from tests.browser import CLOSE, VIEW, log_in, messages, staff_user_with_password
from tests.factories import IdentificationFactory

Status = Identification.Status
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_bulk_close_of_three_reports_two_closed_and_one_skipped(page, live_server):
    staff_user_with_password("closer", VIEW, CLOSE)
    first, second = IdentificationFactory(), IdentificationFactory()
    already_closed = IdentificationFactory(status=Status.CLOSED)
    untouched = IdentificationFactory()

    log_in(page, live_server.url, "closer")
    page.goto(f"{live_server.url}/admin/identifications/identification/")
    for identification in (first, already_closed, second):
        page.locator(f'input.action-select[value="{identification.pk}"]').check()
    expect(page.locator(".action-counter")).to_have_text("3 of 4 selected")
    page.locator("select[name=action]").select_option(label="Close selected identifications")
    page.get_by_role("button", name="Go").click()

    expect(page.locator("#content-main")).to_contain_text("Close these 3 identifications?")
    page.get_by_label("Reason").fill("Duplicates opened by a retrying client")
    page.get_by_role("button", name="Confirm close").click()

    expect(messages(page)).to_have_text(
        ["2 closed, 1 skipped.", f"Skipped because they were not open: {already_closed.pk} (CLOSED)."]
    )
    statuses = page.locator("#result_list tbody tr .identification-status")
    expect(statuses).to_have_count(4)
    for identification, label in (
        (first, "Closed"),
        (second, "Closed"),
        (already_closed, "Closed"),
        (untouched, "Pending"),
    ):
        row = page.locator("#result_list tbody tr").filter(has=page.get_by_role("link", name=str(identification.pk)))
        expect(row.locator(".identification-status")).to_have_text(label)
