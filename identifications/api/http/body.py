"""The one bounded reader of API request bodies, shared by the JSON parser and the idempotency fingerprint.

Django's WSGIRequest reads `CONTENT_LENGTH` bytes and nothing else: a body sent with `Transfer-Encoding: chunked`
(no Content-Length) arrives as b"", and DRF then takes it as an absent body. gunicorn decodes chunked bodies and
says so with `wsgi.input_terminated` (its `wsgi.input` ends where the body ends), so such a body is read from there
to its end, bounded by the same limit. A server that does not promise that (Django's development server) cannot be
read safely past a missing length: that request is a 411.
"""

import io

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = _("The request body is too large.")


class LengthRequired(exceptions.APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_code = "length_required"
    default_detail = _("Send the request body with a Content-Length header.")


def body_limit(view) -> int:
    # An endpoint that takes images (validate) sets its own, larger limit.
    return getattr(view, "max_body_bytes", None) or settings.API_MAX_BODY_BYTES


def read_body(django_request, limit: int) -> bytes:
    """The request's raw body, at most `limit` bytes (413 beyond), chunked or not; read once, then served from memory.

    Not `HttpRequest.body`: it refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB) with a 400, and validate
    takes more. The bytes are left where `.body` and `.read()` find them, and CONTENT_LENGTH is set to their real
    length, so that DRF (which skips parsing when CONTENT_LENGTH is 0) parses exactly these bytes.
    """
    if hasattr(django_request, "_body"):
        return django_request._body
    if _is_chunked(django_request.META):
        if not django_request.META.get("wsgi.input_terminated"):
            raise LengthRequired()
        stream = django_request.META["wsgi.input"]
    else:
        stream = django_request
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise RequestTooLarge(gettext("The request body is larger than %(limit)d bytes.") % {"limit": limit})
    django_request._body = raw
    django_request._stream = io.BytesIO(raw)
    django_request.META["CONTENT_LENGTH"] = str(len(raw))
    return raw


def _is_chunked(meta) -> bool:
    return "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
