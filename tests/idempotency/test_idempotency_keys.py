"""`Idempotency-Key` on POST: a retry replays the first response and runs nothing twice."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from identifications import services
from identifications.models import IdempotencyRecord, Identification, IdentificationEvent
from identifications.secret_box import fernet_for
from identifications.services import idempotency
from scoring.models import ScoringAttempt
from tests.api.helpers import SEED_BODY, close_url, create_url, errors, post_json
from tests.api.validation_helpers import DECLARED, DEVICE, MATCHING_METADATA, image_base64, validate_url
from tests.factories import OrganizationFactory, issue_key
from tests.rate_limit import rate_limited

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def keyed(headers, key="retry-me-1"):
    return {**headers, "Idempotency-Key": key}


def create(client, headers, body=SEED_BODY):
    return post_json(client, create_url(), body, headers)


def assert_replay_of(first, replay):
    assert replay.status_code == first.status_code
    assert replay.content == first.content
    assert replay["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first


def test_create_retried_with_the_same_key_replays_the_first_response_and_creates_one_row(client, auth):
    first = create(client, keyed(auth))
    retry = create(client, keyed(auth))

    assert first.status_code == 200
    assert_replay_of(first, retry)
    assert retry["Content-Type"] == "application/json"
    # The replay carries the client secret too: the client may have lost the first response, and with it the secret.
    assert retry.json()["client_secret"] == first.json()["client_secret"]
    assert Identification.objects.count() == 1
    assert IdentificationEvent.objects.count() == 1


def test_close_retried_replays_204_and_writes_one_event(client, auth):
    identification_id = create(client, auth).json()["id"]

    first = post_json(client, close_url(identification_id), {"reason": "duplicate"}, keyed(auth))
    retry = post_json(client, close_url(identification_id), {"reason": "duplicate"}, keyed(auth))
    without_key = post_json(client, close_url(identification_id), {"reason": "duplicate"}, auth)

    assert first.status_code == 204
    assert_replay_of(first, retry)
    assert retry.content == b""
    assert without_key.status_code == 409  # the retry above did not run: this one does, and finds it closed
    assert IdentificationEvent.objects.filter(to_status="CLOSED").count() == 1


def test_validate_retried_with_the_client_secret_runs_one_attempt(client, auth, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    opened = create(client, auth, DECLARED).json()
    holder = {"Authorization": f"Bearer {opened['client_secret']}", **DEVICE}
    body = {"evidence": image_base64(), "evidence_metadata": MATCHING_METADATA}

    first = post_json(client, validate_url(opened["id"]), body, keyed(holder))
    retry = post_json(client, validate_url(opened["id"]), body, keyed(holder))

    assert first.status_code == 204
    assert_replay_of(first, retry)
    assert ScoringAttempt.objects.count() == 1
    # The holder's key is scoped to the identification's organization.
    assert IdempotencyRecord.objects.get().organization.slug == "acme"


def test_the_same_key_with_another_body_or_path_is_422_and_runs_nothing(client, auth):
    first = create(client, keyed(auth))

    other_body = create(client, keyed(auth), {**SEED_BODY, "name": "Jane"})
    other_path = post_json(client, close_url(first.json()["id"]), {}, keyed(auth))

    for response in (other_body, other_path):
        assert response.status_code == 422
        assert errors(response)[0]["code"] == "idempotency_key_reused"
        assert "Idempotent-Replayed" not in response
    assert Identification.objects.get().status == Identification.Status.PENDING
    assert Identification.objects.count() == 1


def test_keys_are_scoped_to_the_organization(client, auth):
    other = OrganizationFactory(slug="other")
    _, other_key = issue_key(other)

    ours = create(client, keyed(auth))
    theirs = post_json(client, create_url("other"), SEED_BODY, keyed({"Authorization": f"Bearer {other_key}"}))

    assert ours.status_code == theirs.status_code == 200
    assert "Idempotent-Replayed" not in theirs
    assert ours.json()["id"] != theirs.json()["id"]
    assert Identification.objects.count() == 2


def test_a_key_still_held_by_a_running_request_is_409(client, auth, api_key):
    body = json.dumps(SEED_BODY).encode()
    fingerprint = idempotency.request_fingerprint(method="POST", path=create_url(), body=body)
    with time_machine.travel(NOW, tick=False):
        idempotency.idempotency_claim(organization=api_key[0].organization, key="retry-me-1", fingerprint=fingerprint)

        response = create(client, keyed(auth))

    assert response.status_code == 409
    assert errors(response) == [
        {
            "code": "idempotency_key_in_use",
            "message": "A request with this Idempotency-Key is still being processed; retry once it has finished.",
        }
    ]
    assert Identification.objects.count() == 0


def test_a_claim_abandoned_by_a_crashed_process_is_taken_over(client, auth, api_key):
    body = json.dumps(SEED_BODY).encode()
    fingerprint = idempotency.request_fingerprint(method="POST", path=create_url(), body=body)
    with time_machine.travel(NOW, tick=False):
        idempotency.idempotency_claim(organization=api_key[0].organization, key="retry-me-1", fingerprint=fingerprint)
    with time_machine.travel(NOW + idempotency.ABANDONED_AFTER, tick=False):
        response = create(client, keyed(auth))

    assert response.status_code == 200
    assert Identification.objects.count() == 1
    assert IdempotencyRecord.objects.get().state == IdempotencyRecord.State.COMPLETED


def test_client_errors_are_recorded_and_replayed(client, auth):
    bad = {**SEED_BODY, "expires_in": "P31D"}

    first = create(client, keyed(auth), bad)
    retry = create(client, keyed(auth), bad)

    assert first.status_code == 400
    assert_replay_of(first, retry)
    assert Identification.objects.count() == 0


def test_a_500_releases_the_key_so_that_the_retry_runs(client, auth, monkeypatch):
    real_create = services.identification_create

    def explode(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "identification_create", explode)
    failed = create(client, keyed(auth))
    monkeypatch.setattr(services, "identification_create", real_create)
    retry = create(client, keyed(auth))

    assert failed.status_code == 500
    assert retry.status_code == 200
    assert "Idempotent-Replayed" not in retry
    assert Identification.objects.count() == 1


def test_a_401_claims_nothing(client, organization):
    response = create(client, keyed({"Authorization": "Bearer abcdefgh." + "x" * 32}))

    assert response.status_code == 401
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("k" * 256, "max_length"),
        ("", "invalid"),
        ("caf\u00e9", "invalid"),  # not ASCII
        ("tab\there", "invalid"),  # not printable
    ],
)
def test_malformed_keys_are_400_naming_the_header(client, auth, key, code):
    response = create(client, keyed(auth, key))

    assert response.status_code == 400
    assert [(entry["field"], entry["code"]) for entry in errors(response)] == [("Idempotency-Key", code)]
    assert Identification.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


def test_the_longest_key_and_any_printable_character_are_accepted(client, auth):
    longest = create(client, keyed(auth, "k" * 255))
    punctuated = create(client, keyed(auth, "order 42: {retry} #1 ~!"))

    assert longest.status_code == punctuated.status_code == 200


def test_after_24_hours_the_key_runs_again(client, auth):
    with time_machine.travel(NOW, tick=False):
        first = create(client, keyed(auth))
    with time_machine.travel(NOW + timedelta(hours=24), tick=False):
        later = create(client, keyed(auth))

    assert first.status_code == later.status_code == 200
    assert "Idempotent-Replayed" not in later
    assert Identification.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 1  # the expired record was replaced


def test_get_ignores_the_header(client, auth):
    response = client.get(create_url(), headers=keyed(auth, "k" * 300))

    assert response.status_code == 200
    assert IdempotencyRecord.objects.count() == 0


def test_the_stored_response_is_encrypted(client, auth):
    first = create(client, keyed(auth)).json()

    stored = IdempotencyRecord.objects.values_list("response_body", flat=True).get()

    for secret in (first["client_secret"], "12345678A", "James", "Smith", first["id"]):
        assert secret not in stored


def test_a_rotated_secret_key_still_replays_from_the_fallbacks(client, auth, settings):
    first = create(client, keyed(auth))
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 50

    retry = create(client, keyed(auth))

    assert_replay_of(first, retry)


def test_a_response_stored_before_the_module_moved_still_replays(client, auth):
    # Replays stored by the release where the store was identifications/idempotency.py were encrypted with a key
    # derived from that name; the store now lives in identifications/services/ and must still read them.
    first = create(client, keyed(auth))
    record = IdempotencyRecord.objects.get()
    plain = fernet_for("identifications.idempotency", "response-body").decrypt(record.response_body.encode())
    assert plain == first.content

    retry = create(client, keyed(auth))

    assert_replay_of(first, retry)


def test_a_stored_response_that_cannot_be_decrypted_is_422_not_a_second_run(client, auth, settings):
    create(client, keyed(auth))
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 50

    retry = create(client, keyed(auth))

    assert retry.status_code == 422
    assert errors(retry)[0]["code"] == "idempotency_key_reused"
    assert Identification.objects.count() == 1


def test_requests_without_the_header_never_touch_the_idempotency_table(client, auth, capture_queries):
    create(client, auth)  # warms the reference cache and records the key's use

    with capture_queries() as queries:
        response = create(client, auth)

    assert response.status_code == 200
    assert not [sql for sql in queries.statements if "idempotency" in sql]


def test_queries_of_a_keyed_create_and_of_its_replay(client, auth, capture_queries):
    create(client, auth)  # warms the reference cache and records the key's use

    with capture_queries() as first:
        create(client, keyed(auth))
    with capture_queries() as replay:
        create(client, keyed(auth))

    # (The API key comes from its cache, warmed by the first create; see identifications/selectors/api_keys.py.)
    # INSERT the claim, INSERT identification, INSERT event, the outbox (INSERT the public event, SELECT the enabled
    # webhook endpoints), UPDATE the claim's response
    assert first.verbs == rate_limited(["INSERT", "INSERT", "INSERT", "INSERT", "SELECT", "UPDATE"])
    first_own = len(rate_limited([]))
    assert "idempotencyrecord" in first.statements[first_own] and "idempotencyrecord" in first.statements[-1]
    # INSERT the claim (refused by the unique constraint), SELECT the stored record
    assert replay.verbs == rate_limited(["INSERT", "SELECT"])
    assert "idempotencyrecord" in replay.statements[-1]


def test_forgetting_an_identification_erases_its_replayable_responses(client, auth):
    created = create(client, keyed(auth, "create-1")).json()
    post_json(client, close_url(created["id"]), {}, keyed(auth, "close-1"))
    other = create(client, keyed(auth, "create-2")).json()

    forgotten = idempotency.idempotency_forget_subject(subject=created["id"])

    assert forgotten == 2
    assert list(IdempotencyRecord.objects.values_list("key", "subject")) == [("create-2", other["id"])]


def test_the_schema_documents_the_header_and_its_answers_on_every_post(client):
    paths = client.get("/v1/schema/?format=json").json()["paths"]
    operations = [(method, operation) for path in paths.values() for method, operation in path.items()]

    for method, operation in operations:
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "429" in operation["responses"]
        if method == "post":
            assert "Idempotency-Key" in headers
            assert {"409", "422"} <= set(operation["responses"])
        else:
            assert "Idempotency-Key" not in headers
    assert {method for method, _ in operations} == {"get", "post", "patch", "delete"}


def test_a_holders_key_cannot_burn_the_organizations_key(client, auth):
    opened = create(client, auth).json()
    holder = {"Authorization": f"Bearer {opened['client_secret']}", **DEVICE}
    # The holder spends "order-42" first (its validate answers 400: 4xx answers are kept for replay too).
    holder_first = post_json(client, validate_url(opened["id"]), {"evidence": "not base64"}, keyed(holder, "order-42"))

    organization_create = create(client, keyed(auth, "order-42"))

    assert holder_first.status_code == 400
    assert organization_create.status_code == 200, organization_create.content
    assert "Idempotent-Replayed" not in organization_create
    assert Identification.objects.count() == 2


def test_two_holders_keys_do_not_meet(client, auth):
    first, second = create(client, auth).json(), create(client, auth).json()

    answers = [
        post_json(
            client,
            validate_url(opened["id"]),
            {"evidence": "not base64"},
            keyed({"Authorization": f"Bearer {opened['client_secret']}", **DEVICE}, "same-key"),
        )
        for opened in (first, second)
    ]

    assert [answer.status_code for answer in answers] == [400, 400]
    assert ["Idempotent-Replayed" in answer for answer in answers] == [False, False]


def test_a_holders_retry_with_its_key_still_replays(client, auth):
    opened = create(client, auth).json()
    holder = keyed({"Authorization": f"Bearer {opened['client_secret']}", **DEVICE}, "holder-retry")

    first = post_json(client, validate_url(opened["id"]), {"evidence": "not base64"}, holder)
    retry = post_json(client, validate_url(opened["id"]), {"evidence": "not base64"}, holder)

    assert_replay_of(first, retry)
