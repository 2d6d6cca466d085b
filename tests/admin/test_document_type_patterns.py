"""Document-type number patterns saved by staff: compile, fit the column, cannot backtrack exponentially."""

import pytest
from django.urls import reverse

from identifications.models import DocumentType
from tests.admin import log_in_superuser

ADD = reverse("admin:identifications_documenttype_add")


@pytest.fixture
def superuser(client, db):
    return log_in_superuser(client)


def save(client, pattern):
    return client.post(ADD, {"code": "NEW", "label": "New", "number_pattern": pattern, "country": "", "active": "on"})


@pytest.mark.parametrize(
    ("pattern", "code"),
    [
        (r"^[0-9]+$", "too_long"),
        (r".*", "too_long"),
        (r"^[A-Z0-9]{3,21}$", "too_long"),
        (r"^[0-9]{8}[A-Z]{13}$", "too_long"),
        (r"^(a+)+$", "too_long"),
        (r"^(a|a?){20}$", "catastrophic_backtracking"),
        (r"^(?:[0-9]{2}){5}$", "catastrophic_backtracking"),
        (r"^(?:a|ab){10}$", "catastrophic_backtracking"),
        (r"^(a)\1{5}$", "catastrophic_backtracking"),
    ],
)
def test_a_pattern_too_long_for_the_column_or_backtracking_is_refused(client, superuser, pattern, code):
    response = save(client, pattern)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors.as_data()["number_pattern"][0].code == code
    assert not DocumentType.objects.filter(code="NEW").exists()


@pytest.mark.parametrize(
    "pattern",
    [r"^[0-9]{8}[A-Z]$", r"^[XYZ][0-9]{7}[A-Z]$", r"^[A-Z0-9]{3,20}$", r"^(?:[A-Z]{2}|[0-9]{3})[0-9]{6}$", r"(A|B){2}"],
)
def test_ordinary_document_formats_are_saved(client, superuser, pattern):
    assert save(client, pattern).status_code == 302
    assert DocumentType.objects.get(code="NEW").number_pattern == pattern
