"""Redaction erases free text that may quote the person, and keeps the audit facts (who, when, from, to)."""

import pytest

from identifications.actors import Actor
from identifications.models import Identification, IdentificationEvent
from identifications.services.lifecycle import identification_close
from identifications.services.redaction import REASON_ERASED, identification_redact
from tests.factories import IdentificationFactory

pytestmark = pytest.mark.django_db
Status = Identification.Status
QUOTE = "Closed: Anneliese Zwanenburg (48151623Q) called to withdraw"


def test_the_close_reason_and_callers_event_reasons_are_erased_and_the_facts_kept():
    identification = IdentificationFactory(name="Anneliese", last_name="Zwanenburg", document_number="48151623Q")
    identification_close(identification_id=identification.pk, actor=Actor.command("backoffice"), reason=QUOTE)
    close_event = IdentificationEvent.objects.get(identification=identification)

    identification_redact(identification_id=identification.pk, actor=Actor.command("dpo"), reason="erasure request")

    identification.refresh_from_db()
    assert identification.close_reason == REASON_ERASED
    events = list(IdentificationEvent.objects.filter(identification=identification).order_by("id"))
    closed, redacted = events
    assert closed.reason == REASON_ERASED
    assert (closed.pk, closed.from_status, closed.to_status, closed.actor_type, closed.actor, closed.created_at) == (
        close_event.pk,
        Status.PENDING,
        Status.CLOSED,
        close_event.actor_type,
        "backoffice",
        close_event.created_at,
    )
    assert redacted.reason == "Personal data redacted: erasure request"
    assert not IdentificationEvent.objects.filter(reason__contains="Zwanenburg").exists()
    assert not Identification.objects.filter(close_reason__contains="Zwanenburg").exists()


def test_reasons_the_service_wrote_itself_are_kept():
    identification = IdentificationFactory()

    identification_redact(identification_id=identification.pk, actor=Actor.command("dpo"))

    reasons = list(
        IdentificationEvent.objects.filter(identification=identification)
        .order_by("id")
        .values_list("reason", flat=True)
    )
    assert reasons == ["Closed to redact personal data.", "Personal data redacted."]
