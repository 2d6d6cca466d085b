"""Scoring attempts on an identification's admin page, their evidence behind a permission, and the outcome filter."""

import io
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from identifications.models import Identification
from scoring.models import ScoringAttempt
from tests.admin import log_in, log_in_superuser, staff_user
from tests.factories import IdentificationFactory, OrganizationFactory, ScoringAttemptFactory

VIEW = "identifications.view_identification"
VIEW_EVIDENCE = "scoring.view_evidence"
CHANGELIST = reverse("admin:identifications_identification_changelist")

CHECKS = [
    {"name": "document_number_format", "passed": True, "weight": 30, "reason": "The number has the NIF format."},
    {"name": "name_matches", "passed": False, "weight": 20, "reason": "The name read does not match the declared."},
]


def detail_url(identification):
    return reverse("admin:identifications_identification_change", args=[identification.pk])


def evidence_url(attempt):
    return reverse(
        "admin:identifications_identification_attempt_evidence", args=[attempt.identification_id, attempt.uuid]
    )


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 5), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def make_attempt(identification, number=1, **fields) -> ScoringAttempt:
    values = {
        "provider": "INTERNAL",
        "score": 62,
        "passed": False,
        "checks": CHECKS,
        "installation_id": "inst-7f3a",
        "fingerprint": "fp-9c21e",
        "user_agent": "IdApp/2.3 (Android 14)",
        "latitude": 40.4168,
        "longitude": -3.7038,
        "ip_address": "203.0.113.9",
        "created_at": timezone.now(),
        **fields,
    }
    return ScoringAttemptFactory(identification=identification, number=number, **values)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def with_evidence(media):
    """An attempt of a fresh identification, with a PNG evidence image in storage."""
    attempt = make_attempt(IdentificationFactory(), evidence_content_type="image/png")
    attempt.evidence.save("e.png", ContentFile(png_bytes()))
    return attempt


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tr class="form-row[^"]*"[^>]*>.*?</tr>', html, re.S)


@pytest.mark.django_db
def test_an_attempt_being_scored_shows_as_processing_without_a_score(client):
    log_in(client, "viewer", VIEW)
    identification = IdentificationFactory(attempts_used=0, attempt_processing=True)
    make_attempt(identification, state=ScoringAttempt.State.PROCESSING, score=None, passed=None, checks=[])

    html = client.get(detail_url(identification)).content.decode()

    assert re.search(r"Attempt processing:.*?icon-yes", html, re.S)
    (row,) = rows_of(html.split('id="attempts-group"')[1])
    assert "Processing" in row


@pytest.mark.django_db
def test_the_detail_page_shows_each_attempt_with_its_checks_and_device(client):
    log_in(client, "viewer", VIEW)
    identification = IdentificationFactory(attempts_used=2)
    make_attempt(identification, number=1)
    make_attempt(
        identification,
        number=2,
        provider="EXTERNAL",
        score=91,
        passed=True,
        checks=[{"name": "face_match", "passed": True, "weight": 50, "reason": "Same person."}],
        installation_id="inst-second",
        state=ScoringAttempt.State.PROVIDER_UNAVAILABLE,
        latitude=None,
        longitude=None,
        ip_address=None,
    )

    response = client.get(detail_url(identification))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Scoring attempts" in html
    first, second = rows_of(html.split('id="attempts-group"')[1])
    assert "62" in first and "Internal checks" in first and "Scored" in first
    assert "Scoring provider unavailable" in second
    assert "✔ <strong>document_number_format</strong> passed, weight 30: The number has the NIF format." in first
    assert "✘ <strong>name_matches</strong> failed, weight 20: The name read does not match the declared." in first
    assert "inst-7f3a" in first and "fp-9c21e" in first and "IdApp/2.3 (Android 14)" in first
    assert "40.4168, -3.7038" in first and "203.0.113.9" in first
    assert "91" in second and "External scoring service" in second and "face_match" in second
    assert "inst-second" in second and "location (lat, lon): <code>-</code>" in second
    # The markup is the page's own, not escaped text (an MRZ's fillers are "<", escaped inside its <code>).
    assert "&lt;" not in re.sub(r'<code style="white-space:pre">[^<]*</code>', "", first + second)


@pytest.mark.django_db
def test_what_a_device_or_a_provider_sent_is_escaped(client):
    log_in(client, "viewer", VIEW)
    attempt = make_attempt(
        IdentificationFactory(),
        user_agent="<script>alert(1)</script>",
        checks=[{"name": "<b>x</b>", "passed": False, "weight": 1, "reason": "<img src=x onerror=alert(2)>"}],
    )

    html = client.get(detail_url(attempt.identification)).content.decode()

    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<b>x</b>" not in html
    # Read-only: no inputs for the attempts, and nothing to add or delete.
    assert 'name="attempts-0-score"' not in html
    assert "attempts-0-DELETE" not in html


@pytest.mark.django_db
def test_the_evidence_link_is_shown_only_with_the_permission(client, with_evidence):
    url = detail_url(with_evidence.identification)
    client.force_login(staff_user("viewer", VIEW))
    without = client.get(url).content.decode()
    client.force_login(staff_user("investigator", VIEW, VIEW_EVIDENCE))
    with_permission = client.get(url).content.decode()

    assert evidence_url(with_evidence) in with_permission
    assert "View image" in with_permission
    assert evidence_url(with_evidence) not in without
    assert "View image" not in without
    # The stored file's path never reaches a page, with or without the permission.
    assert with_evidence.evidence.name not in with_permission
    assert with_evidence.evidence.name not in without


@pytest.mark.django_db
def test_an_attempt_without_evidence_says_so_to_a_permitted_user(client, media):
    log_in(client, "investigator", VIEW, VIEW_EVIDENCE)
    attempt = make_attempt(IdentificationFactory())

    html = client.get(detail_url(attempt.identification)).content.decode()

    assert evidence_url(attempt) not in html
    assert "View image" not in html


@pytest.mark.django_db
def test_the_evidence_url_is_the_documented_one(with_evidence):
    identification = with_evidence.identification

    assert evidence_url(with_evidence) == (
        f"/admin/identifications/identification/{identification.pk}/attempts/{with_evidence.uuid}/evidence/"
    )


@pytest.mark.django_db
def test_the_evidence_view_streams_the_image_with_private_headers(client, with_evidence):
    log_in(client, "investigator", VIEW, VIEW_EVIDENCE)

    response = client.get(evidence_url(with_evidence))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    response.close()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == "inline"
    cache_control = {directive.strip() for directive in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    assert "public" not in cache_control
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_the_evidence_view_serves_a_jpeg_as_a_jpeg_and_anything_unexpected_as_opaque_bytes(client, media):
    log_in(client, "investigator", VIEW, VIEW_EVIDENCE)
    identification = IdentificationFactory()
    jpeg = make_attempt(identification, number=1, evidence_content_type="image/jpeg")
    jpeg.evidence.save("e.jpg", ContentFile(b"\xff\xd8\xff jpeg bytes"))
    odd = make_attempt(identification, number=2, evidence_content_type="text/html")
    odd.evidence.save("e.html", ContentFile(b"<script>alert(1)</script>"))

    assert client.get(evidence_url(jpeg))["Content-Type"] == "image/jpeg"
    assert client.get(evidence_url(odd))["Content-Type"] == "application/octet-stream"


@pytest.mark.django_db
@pytest.mark.parametrize("permissions", [(VIEW,), (VIEW_EVIDENCE,), ()])
def test_the_evidence_view_is_forbidden_without_both_permissions(client, with_evidence, permissions):
    log_in(client, "someone", *permissions)

    assert client.get(evidence_url(with_evidence)).status_code == 403


@pytest.mark.django_db
def test_the_evidence_view_needs_a_logged_in_staff_member(client, with_evidence):
    response = client.get(evidence_url(with_evidence))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_evidence_of_another_identifications_attempt_is_404(client, with_evidence):
    log_in(client, "investigator", VIEW, VIEW_EVIDENCE)
    other = IdentificationFactory()
    url = reverse("admin:identifications_identification_attempt_evidence", args=[other.pk, with_evidence.uuid])

    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_evidence_of_an_attempt_without_one_or_of_no_attempt_is_404(client, with_evidence):
    log_in(client, "investigator", VIEW, VIEW_EVIDENCE)
    bare = make_attempt(with_evidence.identification, number=2)
    unknown = reverse(
        "admin:identifications_identification_attempt_evidence",
        args=[with_evidence.identification_id, "00000000-0000-0000-0000-000000000000"],
    )
    no_such_identification = reverse(
        "admin:identifications_identification_attempt_evidence", args=["not-a-uuid", with_evidence.uuid]
    )

    assert client.get(evidence_url(bare)).status_code == 404
    assert client.get(unknown).status_code == 404
    assert client.get(no_such_identification).status_code == 404


@pytest.mark.django_db
def test_evidence_is_not_reachable_under_media_url(client, settings, with_evidence):
    log_in_superuser(client)
    name = with_evidence.evidence.name
    assert (settings.MEDIA_ROOT / name).read_bytes() == png_bytes()  # it is there, in storage

    for url in (f"/{settings.MEDIA_URL.strip('/')}/{name}".replace("//", "/"), f"/media/{name}", f"/{name}"):
        assert client.get(url).status_code == 404, url


def _outcome_rows(client, value: str) -> set:
    response = client.get(CHANGELIST, {"outcome": value})
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


@pytest.mark.django_db
def test_the_outcome_filter_selects_by_the_latest_result(client):
    log_in(client, "viewer", VIEW)
    passed = IdentificationFactory(
        attempts_used=2, result={"score": 91, "passed": True, "checks": []}, status=Identification.Status.VERIFIED
    )
    failed = IdentificationFactory(attempts_used=1, result={"score": 40, "passed": False, "checks": []})
    untried = IdentificationFactory()

    assert _outcome_rows(client, "passed") == {passed.pk}
    assert _outcome_rows(client, "failed") == {failed.pk}
    assert _outcome_rows(client, "none") == {untried.pk}
    assert _outcome_rows(client, "") == {passed.pk, failed.pk, untried.pk}
    html = client.get(CHANGELIST).content.decode()
    assert "By outcome" in html and "Latest attempt failed" in html and "No attempt yet" in html


@pytest.mark.django_db
def test_the_changelist_shows_attempts_used(client):
    log_in(client, "viewer", VIEW)
    IdentificationFactory(attempts_used=3, result={"score": 40, "passed": False, "checks": []})

    html = client.get(CHANGELIST).content.decode()

    assert re.search(r'<th[^>]*class="[^"]*column-attempts[^"]*"', html)
    assert '<td class="field-attempts">3</td>' in html


@pytest.mark.django_db
def test_the_outcome_filter_adds_no_query(client, django_assert_num_queries):
    log_in_superuser(client)
    organization = OrganizationFactory()
    IdentificationFactory.create_batch(5, organization=organization, result={"score": 40, "passed": False})

    # The changelist's six (tests/admin/test_identification_changelist.py), with the filter or without.
    with django_assert_num_queries(6):
        client.get(CHANGELIST)
    with django_assert_num_queries(6):
        response = client.get(CHANGELIST, {"outcome": "failed"})

    assert len(response.context["cl"].result_list) == 5
