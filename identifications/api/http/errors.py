"""The one place that turns exceptions into ErrorsResponse bodies: {"errors": [{"code", "message", "field"}]}."""

import logging
import traceback

from django.core.exceptions import DisallowedHost
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from identifications.errors import DomainError

logger = logging.getLogger("identifications.api")

# Codes DRF gives that the contract names differently.
RENAMED_CODES = {"not_a_list": "invalid", "does_not_exist": "invalid"}


def error(code: str, message: str, field: str | None = None) -> dict:
    entry = {"code": code, "message": message}
    if field:
        entry["field"] = field
    return entry


def errors_response(status: int, errors: list[dict], headers: dict | None = None) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status, headers=headers)


def flatten_validation_errors(detail, path: str = "") -> list[dict]:
    """DRF's nested {field: [ErrorDetail]} structure -> one entry per problem with a dotted field path."""
    if isinstance(detail, dict):
        entries = []
        for key, value in detail.items():
            child = path if key == api_settings.NON_FIELD_ERRORS_KEY else f"{path}.{key}" if path else str(key)
            entries.extend(flatten_validation_errors(value, child))
        return entries
    if isinstance(detail, list):
        entries = []
        for item in detail:
            entries.extend(flatten_validation_errors(item, path))
        return entries
    code = getattr(detail, "code", None) or "invalid"
    return [error(RENAMED_CODES.get(code, code), str(detail), path or None)]


def exception_handler(exc, context):
    request = context.get("request")
    set_rollback()
    if isinstance(exc, DomainError):
        return errors_response(exc.status_code, [error(exc.code, exc.message, exc.field)])
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(gettext("Not found."))
    if isinstance(exc, exceptions.PermissionDenied):
        # The contract knows no 403: every authorization failure is a 401.
        exc = exceptions.AuthenticationFailed(exc.detail)
    if isinstance(exc, exceptions.ValidationError):
        return errors_response(400, flatten_validation_errors(exc.detail))
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            exc.status_code = 401
            headers["WWW-Authenticate"] = getattr(exc, "auth_header", None) or "Bearer"
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        return errors_response(exc.status_code, [error(code, str(exc.detail))], headers)
    if isinstance(exc, OperationalError | InterfaceError):
        logger.error("database unavailable: %s", type(exc).__name__, extra={"path": _path(request)})
        return errors_response(
            503,
            [error("service_unavailable", gettext("The service is temporarily unavailable. Try again shortly."))],
            {"Retry-After": "5"},
        )
    log_unexpected(exc, _path(request))
    return internal_error_response()


def log_unexpected(exc: BaseException, path: str) -> None:
    """Log where it failed, but not the exception's message: database and validation messages can quote the
    person's data (a PostgreSQL DETAIL line shows the row), and personal data never goes into logs."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("unexpected %s on %s\nTraceback (message withheld):\n%s", type(exc).__name__, path, frames)


def internal_error_response() -> JsonResponse:
    return errors_response(
        500,
        [
            error(
                "internal_error",
                gettext("An unexpected error occurred. Quote the X-Request-ID header when reporting it."),
            )
        ],
    )


def _path(request) -> str:
    return getattr(request, "path", "?")


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Unknown paths under /v1/ answer an ErrorsResponse, not Django's HTML page, whatever the method: exempt from
    CSRF, which would otherwise answer a POST (or PUT, PATCH, DELETE) with its HTML 403 before this view runs."""
    return errors_response(404, [error("not_found", gettext("No API endpoint matches this path."))])


def bad_request(request, exception=None, *args, **kwargs):
    """handler400: JSON under /v1/ (a disallowed Host, any other SuspiciousOperation), Django's page elsewhere."""
    if request.path.startswith("/v1/"):
        if isinstance(exception, DisallowedHost):
            return errors_response(
                400, [error("disallowed_host", gettext("This host name is not served here."), "Host")]
            )
        return errors_response(400, [error("bad_request", gettext("The request is malformed."))])
    from django.views.defaults import bad_request as html_bad_request

    return html_bad_request(request, exception, *args, **kwargs)


def server_error(request, *args, **kwargs):
    """handler500: JSON under /v1/, Django's plain page elsewhere (the admin)."""
    if request.path.startswith("/v1/"):
        return internal_error_response()
    from django.views.defaults import server_error as html_server_error

    return html_server_error(request, *args, **kwargs)
