"""The identifications changelist and detail page: every organization, masked numbers, exact searches, no N+1."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from identifications.actors import Actor
from identifications.admin import mask_document_number
from identifications.models import DocumentType, Identification
from identifications.services.lifecycle import identification_close, identification_create
from scoring.models import Configuration
from tests.admin import log_in, log_in_superuser
from tests.factories import IdentificationFactory, OrganizationFactory, issue_key

CHANGELIST = reverse("admin:identifications_identification_changelist")
VIEW = "identifications.view_identification"


def detail_url(identification):
    return reverse("admin:identifications_identification_change", args=[identification.pk])


@pytest.mark.parametrize(
    ("number", "masked"),
    [("12345678A", "******78A"), ("X1234567L", "******67L"), ("ABCD", "*BCD"), ("ABC", "***"), ("", ""), (None, "")],
)
def test_mask_document_number_shows_only_the_last_three_characters(number, masked):
    assert mask_document_number(number) == masked


@pytest.mark.django_db
def test_changelist_lists_every_organization_with_the_number_masked(client):
    log_in(client, "viewer", VIEW)
    acme = IdentificationFactory(organization=OrganizationFactory(slug="acme"), document_number="12345678A")
    globex = IdentificationFactory(organization=OrganizationFactory(slug="globex"), document_number="X1234567L")

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert str(acme.pk) in html
    assert str(globex.pk) in html
    assert "******78A" in html
    assert "******67L" in html
    assert "12345678A" not in html
    assert "X1234567L" not in html
    assert 'class="identification-status status-pending"' in html


@pytest.mark.django_db
def test_changelist_is_forbidden_without_the_view_permission(client):
    log_in(client, "nobody")

    assert client.get(CHANGELIST).status_code == 403


@pytest.mark.django_db
def test_search_by_document_number_ignores_spaces_hyphens_and_case(client):
    log_in(client, "viewer", VIEW)
    wanted = IdentificationFactory(document_number="12345678A")
    other = IdentificationFactory(document_number="12345678B")

    response = client.get(CHANGELIST, {"q": " 1234-5678 a "})

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [wanted.pk]
    assert str(other.pk) not in response.content.decode()


@pytest.mark.django_db
def test_search_by_document_number_is_exact_not_a_substring(client):
    log_in(client, "viewer", VIEW)
    IdentificationFactory(document_number="12345678A")

    response = client.get(CHANGELIST, {"q": "5678A"})

    assert list(response.context["cl"].result_list) == []


@pytest.mark.django_db
def test_search_by_document_number_queries_by_equality(client, django_assert_num_queries):
    log_in(client, "viewer", VIEW)
    IdentificationFactory(document_number="12345678A")

    # 1 session, 2 user, 3-4 its user and group permissions, 5-6 the filters' choices, 7 the COUNT, 8 the page.
    with django_assert_num_queries(8) as queries:
        client.get(CHANGELIST, {"q": "12345678-A"})

    searches = [query["sql"] for query in queries.captured_queries if '"document_number"' in query["sql"]]
    assert searches
    # Equality, which the identification_doc_number index serves; never LIKE, which reads the whole table.
    assert all('"document_number" = ' in sql and "LIKE" not in sql for sql in searches)


@pytest.mark.django_db
def test_search_by_id_and_by_name(client):
    log_in(client, "viewer", VIEW)
    james = IdentificationFactory(name="James", last_name="Smith")
    ana = IdentificationFactory(name="Ana", last_name="García López")

    by_id = client.get(CHANGELIST, {"q": str(james.pk)})
    by_last_name = client.get(CHANGELIST, {"q": "garcía"})
    by_full_name = client.get(CHANGELIST, {"q": "ana lópez"})

    assert [row.pk for row in by_id.context["cl"].result_list] == [james.pk]
    assert [row.pk for row in by_last_name.context["cl"].result_list] == [ana.pk]
    assert [row.pk for row in by_full_name.context["cl"].result_list] == [ana.pk]


@pytest.mark.django_db
def test_filters_by_status_and_organization_slug(client):
    log_in(client, "viewer", VIEW)
    acme = OrganizationFactory(slug="acme")
    wanted = IdentificationFactory(organization=acme)
    IdentificationFactory(organization=acme, status=Identification.Status.CLOSED)
    IdentificationFactory(organization=OrganizationFactory(slug="globex"))

    response = client.get(CHANGELIST, {"status__exact": "PENDING", "organization": "acme"})

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [wanted.pk]
    # The organization box keeps the other filters and the search when it is submitted again.
    box = re.search(r'<form method="get" class="organization-filter".*?</form>', response.content.decode(), re.S)
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', box.group(0))
    assert hidden == [("status__exact", "PENDING")]
    assert 'name="organization" value="acme"' in box.group(0)


@pytest.mark.django_db
def test_newest_first(client):
    log_in(client, "viewer", VIEW)
    older = IdentificationFactory()
    newer = IdentificationFactory()

    response = client.get(CHANGELIST)

    assert [row.pk for row in response.context["cl"].result_list] == [newer.pk, older.pk]


def _changelist_spends(client, rows: int, assert_num_queries, queries: int) -> None:
    IdentificationFactory.create_batch(rows, organization=OrganizationFactory())
    with assert_num_queries(queries):
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == Identification.objects.count()
    Identification.objects.all().delete()


@pytest.mark.django_db
def test_changelist_queries_do_not_grow_with_rows(client, django_assert_num_queries):
    log_in_superuser(client)
    IdentificationFactory.create_batch(30, organization=OrganizationFactory())

    # 1 session, 2 user, 3-4 the choices of the document type and configuration filters, 5 the page's COUNT
    # (never a second one of the whole table), 6 the page, joined to organization, document type and configuration.
    with django_assert_num_queries(6):
        response = client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == 30
    Identification.objects.all().delete()
    _changelist_spends(client, 5, django_assert_num_queries, 6)
    _changelist_spends(client, 30, django_assert_num_queries, 6)


@pytest.mark.django_db
def test_detail_page_is_read_only_and_shows_the_history(client, organization):
    user = log_in(client, "viewer", VIEW)
    api_key, _ = issue_key(organization)
    identification = identification_create(
        organization=organization,
        actor=Actor.api_key(api_key),
        configuration=Configuration.objects.get(name="HIGH"),
        scoring_provider="INTERNAL",
        expires_in=timedelta(days=1),
        document_type=DocumentType.objects.get(code="NIF"),
        document_number="12345678A",
    )
    identification_close(identification_id=identification.pk, actor=Actor.staff(user), reason="Customer asked")

    response = client.get(detail_url(identification))

    assert response.status_code == 200
    html = response.content.decode()
    # The full number needs identifications.view_document_number (tests/admin/test_document_number_reveal.py).
    assert "12345678A" not in html and "******78A" in html
    assert 'name="document_number"' not in html  # ...but no input: every field is read-only
    assert '<h2 id="events-heading" class="inline-heading">' in html
    assert api_key.prefix in html
    assert "Customer asked" in html
    assert "viewer" in html
    assert 'name="_save"' not in html


@pytest.mark.django_db
def test_identifications_cannot_be_added_changed_or_deleted(client):
    log_in_superuser(client)
    identification = IdentificationFactory()

    add = client.get(reverse("admin:identifications_identification_add"))
    change = client.post(detail_url(identification), {"status": "VERIFIED", "name": "Mallory"})
    delete = client.post(
        reverse("admin:identifications_identification_delete", args=[identification.pk]), {"post": "yes"}
    )

    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    identification.refresh_from_db()
    assert (identification.status, identification.name) == ("PENDING", "James")
