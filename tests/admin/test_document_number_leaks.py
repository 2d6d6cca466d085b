"""Staff who may see identifications but not full document numbers, attacking the admin to learn one anyway.

The number of the identification under attack is 48151623Q; its page shows ******23Q. Each probe here would tell
such staff something about the hidden characters if it were answered.
"""

import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from identifications.actors import Actor
from identifications.models import Identification
from identifications.services.lifecycle import identification_close
from scoring.models import ScoringAttempt
from tests.admin import log_in, log_in_superuser
from tests.factories import IdentificationFactory

CHANGELIST = reverse("admin:identifications_identification_changelist")
EVENTS = reverse("admin:identifications_identificationevent_changelist")
VIEW = "identifications.view_identification"
VIEW_EVENTS = "identifications.view_identificationevent"
NUMBER = "48151623Q"

pytestmark = pytest.mark.django_db


@pytest.fixture
def target():
    return IdentificationFactory(document_number=NUMBER)


@pytest.fixture
def viewer(client):
    return log_in(client, "viewer", VIEW, VIEW_EVENTS)


@pytest.mark.parametrize(
    "query",
    [
        "document_number__startswith=4",
        "document_number__istartswith=4",
        "document_number__regex=^4",
        "document_number__lt=5",
        "document_number__gte=4",
        "document_number__contains=8151",
        "document_number__endswith=3Q",
        "document_number=48151623Q",
        "document_number__in=48151623Q,1",
        "name__startswith=a",
        "result__checks__0__reason__contains=4",
        "organization__slug__startswith=a",
        "status__exact=PENDING&document_number__startswith=4",
    ],
)
def test_lookups_the_filters_do_not_produce_are_refused(client, viewer, target, query):
    response = client.get(f"{CHANGELIST}?{query}")

    # Django's answer to a disallowed lookup (SuspiciousOperation): a 400, never a filtered list, never a 500.
    assert response.status_code == 400
    assert str(target.pk).encode() not in response.content


@pytest.mark.parametrize("query", ["identification__document_number__startswith=4", "reason__contains=4"])
def test_the_audit_trail_refuses_lookups_its_filters_do_not_produce(client, viewer, target, query):
    assert client.get(f"{EVENTS}?{query}").status_code == 400


def _filter_links(html: str) -> set[str]:
    return {unescape(href) for href in re.findall(r'href="(\?[^"]*)"', html)}


def test_every_link_of_the_filter_sidebar_still_works(client, target):
    # As a superuser, so every filter has choices; the sidebar's own query strings must stay accepted.
    log_in_superuser(client)
    links = _filter_links(client.get(CHANGELIST).content.decode())
    parameters = {name for link in links for name, _value in parse_qsl(urlsplit(link).query)}
    assert {"status__exact", "outcome", "document_type__id__exact", "created_at__gte"} <= parameters

    for link in links:
        assert client.get(CHANGELIST + link).status_code == 200, link
    for query in ("organization=acme", "q=48151623Q", "o=2.-8", "status__exact=PENDING&p=1"):
        assert client.get(f"{CHANGELIST}?{query}").status_code == 200, query


def test_the_audit_trail_filter_links_still_work(client, target):
    identification_close(identification_id=target.pk, actor=Actor.command("test"), reason="withdrawn")
    log_in_superuser(client)
    for link in _filter_links(client.get(EVENTS).content.decode()):
        assert client.get(EVENTS + link).status_code == 200, link


@pytest.mark.parametrize("term", ["4", "48", "4815", "48151623", "8151623Q", "*23Q", "48151623_", "%"])
def test_search_finds_a_number_only_when_typed_whole(client, viewer, target, term):
    response = client.get(CHANGELIST, {"q": term})

    assert response.status_code == 200
    assert str(target.pk).encode() not in response.content


def test_ordering_by_any_column_cannot_sort_by_the_number(client, viewer, target):
    # The masked column is not sortable: an "o=" naming it is ignored, so the order of rows reveals nothing.
    IdentificationFactory(document_number="00000001R")
    for column in range(12):
        for direction in ("", "-"):
            response = client.get(CHANGELIST, {"o": f"{direction}{column}"})
            assert response.status_code == 200
            ordering = response.context["cl"].queryset.query.order_by
            assert not any("document_number" in str(field) for field in ordering), (column, ordering)


def test_free_text_on_the_detail_page_quoting_the_number_is_masked(client, viewer, target):
    # Callers and providers write free text: a close reason, a scoring check's reason, the evidence metadata.
    identification_close(identification_id=target.pk, actor=Actor.command("test"), reason=f"duplicate of {NUMBER}")
    ScoringAttempt.objects.create(
        identification=target,
        number=1,
        provider="EXTERNAL",
        score=10,
        passed=False,
        checks=[{"name": "lookup", "passed": False, "weight": 100, "reason": f"{NUMBER} is on a list"}],
        evidence_metadata={"document_number": NUMBER},
        installation_id="install",
        fingerprint="fp",
        user_agent="ua",
        created_at=target.created_at,
    )
    Identification.objects.filter(pk=target.pk).update(
        result={"score": 10, "passed": False, "checks": [{"name": "lookup", "reason": f"{NUMBER} listed"}]}
    )

    detail = client.get(reverse("admin:identifications_identification_change", args=[target.pk]))
    events = client.get(EVENTS)
    history = client.get(reverse("admin:identifications_identification_history", args=[target.pk]))

    for response in (detail, events, history):
        assert response.status_code == 200
        assert NUMBER.encode() not in response.content
    assert b"******23Q" in detail.content
