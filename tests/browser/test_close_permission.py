"""Staff who may view identifications but not close them: no button, and the close page refuses them."""

import pytest
from playwright.sync_api import expect

from identifications.models import Identification, IdentificationEvent
from tests.browser import VIEW, log_in, staff_user_with_password
from tests.factories import IdentificationFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_staff_without_the_close_permission_see_no_button_and_get_403(page, live_server):
    staff_user_with_password("viewer", VIEW)
    identification = IdentificationFactory()
    detail_url = f"{live_server.url}/admin/identifications/identification/{identification.pk}/change/"

    log_in(page, live_server.url, "viewer")
    page.goto(detail_url)
    # The page is the identification's (so the missing button is not a missing page), and it offers no close.
    expect(page.locator(".field-id")).to_contain_text(str(identification.pk))
    expect(page.locator(".field-status_display .identification-status")).to_have_text("Pending")
    expect(page.get_by_role("link", name="Close identification…")).to_have_count(0)

    response = page.goto(f"{live_server.url}/admin/identifications/identification/{identification.pk}/close/")

    assert response.status == 403
    expect(page.locator("h1")).to_have_text("403 Forbidden")
    assert Identification.objects.get(pk=identification.pk).status == Identification.Status.PENDING
    assert not IdentificationEvent.objects.filter(identification=identification).exists()
