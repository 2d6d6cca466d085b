"""What every /v1/ viewset shares: 401 for every authorization failure, rate limits and idempotency keys."""

import logging

from django.conf import settings
from django.db import DatabaseError, IntegrityError
from django.http import HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, viewsets
from rest_framework.response import Response

from identifications.api.http.body import body_limit, read_body
from identifications.api.http.throttling import CredentialRateThrottle, parse_rate
from identifications.models import OrganizationAPIKey
from identifications.selectors import api_keys as key_cache
from identifications.services import idempotency

logger = logging.getLogger("identifications.api")

# One sentence per API_RATE_LIMIT unit, so that each language can say "per minute" its own way.
THROTTLED_MESSAGES = {
    "second": _("Too many requests: the limit is %(limit)d per second."),
    "minute": _("Too many requests: the limit is %(limit)d per minute."),
    "hour": _("Too many requests: the limit is %(limit)d per hour."),
    "day": _("Too many requests: the limit is %(limit)d per day."),
}


# Methods whose body, if any, means nothing here.
BODYLESS_METHODS = {"GET", "HEAD", "OPTIONS"}


class _ReplayStoredResponse(Exception):
    """Raised from initial() to skip the handler; handle_exception turns it into the stored response."""

    def __init__(self, replay: idempotency.Replay):
        self.replay = replay


class APISchema(AutoSchema):
    """Documents what APIViewSet adds to every operation: 429, and on POST the Idempotency-Key header, 409, 422."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method == "POST":
            parameters = [
                *parameters,
                OpenApiParameter(
                    idempotency.HEADER,
                    # idempotency.validate_key's rule, so that the schema fuzzer sends keys the API takes.
                    {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": idempotency.MAX_KEY_LENGTH,
                        "pattern": r"^[\u0020-\u007e]+$",
                    },
                    OpenApiParameter.HEADER,
                    description="1 to 255 printable ASCII characters. A retry with the same key and the same request "
                    "within 24 hours replays the first response (with `Idempotent-Replayed: true`) instead of "
                    "running again.",
                ),
            ]
        return parameters

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        responses = (operation or {}).get("responses", {})
        errors = responses.get("401")  # every operation documents its 401 with the ErrorsResponse body
        if errors:
            added = {"429": "Too many requests for this credential; see Retry-After and RateLimit-Reset."}
            if self.method == "POST":
                added["409"] = "Conflict: the state forbids it, or a request with this Idempotency-Key is running."
                added["422"] = "This Idempotency-Key was used for a different request."
            for status, description in added.items():
                responses.setdefault(status, {**errors, "description": description})
            operation["responses"] = dict(sorted(responses.items()))
        return operation


def _key_was_deleted(request) -> bool:
    # Only an organization-wide credential (an API key) carries a key row that can vanish under it.
    api_key = getattr(getattr(request, "auth", None), "api_key", None)
    if api_key is None or OrganizationAPIKey.objects.filter(pk=api_key.pk).exists():
        return False
    key_cache.forget(api_key.prefix)
    return True


class APIViewSet(viewsets.GenericViewSet):
    """The base of the API's viewsets: the place for cross-cutting request handling (authorization answers,
    idempotency, throttling), so that each endpoint gets it by inheriting."""

    # No OPTIONS metadata: DRF's describes a viewset's `serializer_class`, which these viewsets don't have (it was a
    # 500, found by the schema fuzzer); OPTIONS is a 405 method_not_allowed like any undocumented method.
    metadata_class = None
    throttle_classes = [CredentialRateThrottle]
    schema = APISchema()
    _idempotency_claim: idempotency.Claim | None = None

    def permission_denied(self, request, message=None, code=None):
        # The contract knows no 403: every authorization failure is a 401.
        raise exceptions.AuthenticationFailed(message or gettext("Not authorized."))

    def throttled(self, request, wait):
        rate = parse_rate(settings.API_RATE_LIMIT)
        raise exceptions.Throttled(wait, detail=THROTTLED_MESSAGES[rate.unit] % {"limit": rate.limit})

    def initial(self, request, *args, **kwargs):
        # Authentication, permissions and the rate limit first: a 401 or a 429 claims no key.
        super().initial(request, *args, **kwargs)
        if request.method not in BODYLESS_METHODS:
            # Read (bounded) before DRF looks at the body: a chunked body has no Content-Length, and DRF would take
            # it as absent; read_body makes its real length known.
            body = read_body(request._request, body_limit(self))
        if request.method == "POST" and idempotency.HEADER in request.headers:
            outcome = idempotency.idempotency_claim(
                organization=_organization(request.auth),
                key=idempotency.validate_key(request.headers[idempotency.HEADER]),
                scope=_idempotency_scope(request.auth),
                fingerprint=idempotency.request_fingerprint(method=request.method, path=request.path, body=body),
            )
            if isinstance(outcome, idempotency.Replay):
                raise _ReplayStoredResponse(outcome)
            self._idempotency_claim = outcome

    def handle_exception(self, exc):
        if isinstance(exc, _ReplayStoredResponse):
            return _replay_response(exc.replay)
        if isinstance(exc, IntegrityError) and _key_was_deleted(self.request):
            # Its organization was deleted while another process still had the key cached: a 401, not a 500.
            exc = exceptions.AuthenticationFailed(gettext("The API key is not valid."))
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        claim, self._idempotency_claim = self._idempotency_claim, None
        if claim is not None:
            _record(claim, response, subject=self._subject(response))
        usage = getattr(request, "rate_limit_usage", None)
        if usage is not None:
            for header, value in usage.headers().items():
                response[header] = value
        return response

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            # Only when the response never reached finalize_response: release, so that a retry runs again.
            claim, self._idempotency_claim = self._idempotency_claim, None
            if claim is not None:
                idempotency.idempotency_release(claim=claim)

    def _subject(self, response) -> str:
        """The identification a request was about: the one in its path, or the one a create returned."""
        in_path = self.kwargs.get(self.lookup_url_kwarg or "pk")
        if in_path:
            return str(in_path).lower()
        data = getattr(response, "data", None)
        return str(data.get("id", "")) if isinstance(data, dict) else ""


def _organization(credential):
    """The organization of the request's credentials.Credential."""
    if credential is None:
        raise exceptions.NotAuthenticated(gettext("Authentication credentials were not provided."))
    return credential.organization


def _idempotency_scope(credential) -> str:
    """Whose Idempotency-Keys these are within the organization: a holder's client secret has its own."""
    bound = credential.identification if credential is not None else None
    return f"holder:{bound.pk}" if bound is not None else ""


def _record(claim: idempotency.Claim, response, *, subject: str) -> None:
    try:
        if getattr(response, "streaming", False):
            idempotency.idempotency_release(claim=claim)
            return
        if isinstance(response, Response):
            response.render()  # Django would render it next; the stored body must be the bytes the client gets.
        idempotency.idempotency_complete(
            claim=claim,
            status=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=response.content,
            subject=subject,
        )
    except DatabaseError as error:
        # The request itself succeeded: answer it. The claim stays in progress until it counts as abandoned.
        logger.error("idempotency record %s not stored: %s", claim.record_id, type(error).__name__)


def _replay_response(replay: idempotency.Replay) -> HttpResponse:
    response = HttpResponse(replay.body, status=replay.status)
    if replay.content_type:
        response["Content-Type"] = replay.content_type
    else:
        del response["Content-Type"]  # as the original (DRF sends none with an empty body)
    response[idempotency.REPLAYED_HEADER] = "true"
    return response
