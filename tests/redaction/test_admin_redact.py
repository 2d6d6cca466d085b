"""The "Redact selected identifications" changelist action and its confirmation page."""

import re

import pytest
from django.contrib.admin import helpers
from django.core.files.storage import default_storage
from django.urls import reverse

from identifications.actors import Actor
from identifications.models import Identification, IdentificationEvent
from identifications.services.redaction import identification_redact
from tests.admin import log_in, log_in_superuser, shown_messages
from tests.factories import IdentificationFactory, ScoringAttemptFactory

pytestmark = pytest.mark.usefixtures("media_root")
CHANGELIST = reverse("admin:identifications_identification_changelist")
VIEW = "identifications.view_identification"
CLOSE = "identifications.close_identification"
REDACT = "identifications.redact_identification"
Status = Identification.Status
OPTION = '<option value="redact_selected">Redact selected identifications</option>'


def choose_action(client, identifications):
    return client.post(
        CHANGELIST,
        {
            "action": "redact_selected",
            "index": 0,
            helpers.ACTION_CHECKBOX_NAME: [str(identification.pk) for identification in identifications],
        },
    )


def confirm(client, identifications, reason="Erasure request, ticket 42"):
    return client.post(
        CHANGELIST,
        {
            "action": "redact_selected",
            "post": "yes",
            "reason": reason,
            helpers.ACTION_CHECKBOX_NAME: [str(identification.pk) for identification in identifications],
        },
    )


@pytest.fixture
def redactor(client, db):
    return log_in(client, "redactor", VIEW, REDACT)


def test_action_is_offered_to_users_allowed_to_redact(client, redactor):
    IdentificationFactory()

    assert OPTION in client.get(CHANGELIST).content.decode()


def test_superusers_have_it_too(client, db):
    log_in_superuser(client)
    IdentificationFactory()

    assert OPTION in client.get(CHANGELIST).content.decode()


@pytest.mark.django_db
def test_action_is_neither_offered_nor_run_without_the_permission(client):
    # Closing is a different permission: it does not allow erasing data.
    log_in(client, "closer", VIEW, CLOSE)
    identification = IdentificationFactory(status=Status.CLOSED)

    page = client.get(CHANGELIST)
    attempt = confirm(client, [identification])

    assert "redact_selected" not in page.content.decode()
    # The changelist refuses an action it does not offer this user.
    assert attempt.status_code == 302
    assert shown_messages(attempt) == ["No action selected."]
    identification.refresh_from_db()
    assert (identification.name, identification.redacted_at) == ("James", None)
    assert not IdentificationEvent.objects.exists()


def test_choosing_the_action_shows_a_confirmation_page_and_redacts_nothing(client, redactor):
    first, second = IdentificationFactory(), IdentificationFactory(status=Status.VERIFIED)

    response = choose_action(client, [first, second])

    assert response.status_code == 200
    html = response.content.decode()
    assert "Redact these 2 identifications?" in html
    assert f'name="{helpers.ACTION_CHECKBOX_NAME}" value="{first.pk}"' in html
    assert f'name="{helpers.ACTION_CHECKBOX_NAME}" value="{second.pk}"' in html
    assert '<textarea name="reason"' in html
    # The page lists ids, never the person's name or number.
    assert "James" not in html
    assert first.document_number not in html
    assert not Identification.objects.filter(redacted_at__isnull=False).exists()
    assert not IdentificationEvent.objects.exists()


def test_confirming_redacts_and_reports_how_many(client, redactor, django_capture_on_commit_callbacks):
    pending, verified = IdentificationFactory(), IdentificationFactory(status=Status.VERIFIED)
    attempt = ScoringAttemptFactory(identification=verified, with_evidence=True)
    already = IdentificationFactory(status=Status.CLOSED)
    identification_redact(identification_id=already.pk, actor=Actor.command("test"))

    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(client, [pending, verified, already])

    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    assert shown_messages(response) == ["2 redacted, 1 already redacted."]
    rows = {row.pk: row for row in Identification.objects.all()}
    assert {pk: (row.status, row.name, row.document_number) for pk, row in rows.items()} == {
        pending.pk: (Status.CLOSED, None, None),
        verified.pk: (Status.VERIFIED, None, None),
        already.pk: (Status.CLOSED, None, None),
    }
    assert not default_storage.exists(attempt.evidence.name)
    redactions = IdentificationEvent.objects.filter(actor_type="STAFF", reason__startswith="Personal data redacted")
    assert sorted(event.identification_id for event in redactions) == sorted([pending.pk, verified.pk])
    for event in redactions:
        assert event.from_status == event.to_status
        assert (event.actor_type, event.actor, event.staff_user) == ("STAFF", "redactor", redactor)
        assert event.reason == "Personal data redacted: Erasure request, ticket 42"


def test_a_reason_is_required(client, redactor):
    identification = IdentificationFactory(status=Status.CLOSED)

    response = confirm(client, [identification], reason="")

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Identification.objects.get(pk=identification.pk).redacted_at is None


def test_the_confirmation_page_lists_the_selection_and_asks_why(client, redactor):
    identification = IdentificationFactory()

    html = choose_action(client, [identification]).content.decode()

    assert "Redact this identification?" in html
    assert f"<tr><td>{identification.pk}</td><td>{identification.organization}</td>" in html
    # The breadcrumbs end at the changelist, then the action.
    assert re.search(r"Identifications</a>\s*&rsaquo; Redact selected identifications\s*</div>", html)
    assert "<th>Redacted</th>" in html
    assert "<td>no</td>" in html
    assert 'value="Confirm redaction"' in html
    assert "Why the personal data is erased" in html
