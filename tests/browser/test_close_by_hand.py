"""A staff member finds an identification in the changelist and closes it by hand, all through the browser."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from identifications.models import Identification, IdentificationEvent
from tests.browser import CLOSE, VIEW, log_in, messages, staff_user_with_password
from tests.factories import IdentificationFactory, IdentificationWithHistoryFactory, OrganizationFactory

Status = Identification.Status
# Live-server tests need committed data; the serialized rollback restores the seeded reference rows after.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_staff_filter_search_open_and_close_with_a_reason(page, live_server):
    staff_user_with_password("closer", VIEW, CLOSE)
    acme = OrganizationFactory(slug="acme")
    wanted = IdentificationWithHistoryFactory(
        organization=acme,
        created_at=timezone.now() - timedelta(hours=1),
        document_number="12345678Z",
        name="Lucía",
        last_name="Pérez",
    )
    IdentificationFactory(organization=acme, document_number="87654321X")
    # The same person's earlier, closed identification: only the status filter tells them apart.
    IdentificationFactory(organization=acme, document_number="12345678Z", status=Status.CLOSED)

    log_in(page, live_server.url, "closer")
    page.locator("#identifications-identification").get_by_role("link").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)

    page.locator('#changelist-filter details[data-filter-title="status"]').get_by_role("link", name="Pending").click()
    expect(page).to_have_url(re.compile(r"status__exact=PENDING"))
    expect(rows).to_have_count(2)

    page.locator("#searchbar").fill("12345678-Z")
    page.locator("#searchbar").press("Enter")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"status__exact=PENDING"))
    expect(rows.first).to_contain_text("******78Z")

    rows.first.get_by_role("link", name=str(wanted.pk)).click()
    expect(page.locator(".field-status_display .identification-status")).to_have_text("Pending")
    page.get_by_role("link", name="Close identification…").click()

    expect(page.locator("h1")).to_have_text("Close identification")
    expect(page.locator("#content-main")).to_contain_text(str(wanted.pk))
    page.get_by_label("Reason").fill("The holder asked support to cancel it")
    page.get_by_role("button", name="Confirm close").click()

    expect(messages(page)).to_have_text([f"Identification {wanted.pk} closed."])
    expect(page.locator(".field-status_display .identification-status")).to_have_text("Closed")
    expect(page.get_by_role("link", name="Close identification…")).to_have_count(0)
    history = page.locator("#events-group tbody tr.has_original")
    expect(history).to_have_count(2)
    closing = history.last
    expect(closing.locator(".field-from_status")).to_have_text("Pending")
    expect(closing.locator(".field-to_status")).to_have_text("Closed")
    expect(closing.locator(".field-actor_type")).to_have_text("Staff user")
    expect(closing.locator(".field-actor")).to_have_text("closer")
    expect(closing.locator(".field-reason")).to_have_text("The holder asked support to cancel it")
    event = IdentificationEvent.objects.get(identification=wanted, to_status=Status.CLOSED)
    assert (event.actor, event.reason) == ("closer", "The holder asked support to cancel it")
