"""A JSON parser that turns every malformed body into a 4xx instead of letting it reach a 500."""

import json

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = _("The request body is too large.")


def _reject_duplicate_keys(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(gettext("duplicate key %(key)r") % {"key": key})
        seen[key] = value
    return seen


def _reject_constant(name):
    raise ValueError(gettext("%(name)s is not valid JSON") % {"name": name})


def loads_strict(text: str):
    """json.loads without duplicate keys or NaN/Infinity; raises ValueError or RecursionError. (Unpaired surrogates
    are left to the string fields: DRF's CharField refuses them, naming the field.)"""
    return json.loads(text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant)


class StrictJSONParser(BaseParser):
    """JSON objects only as UTF-8, bounded in size, without duplicate keys or NaN/Infinity.

    Not a subclass of DRF's JSONParser: DRF hands those `request.body`, which Django refuses (RequestDataTooBig, a
    500) above DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB), under validate's own limit; others get the stream, read here
    up to the limit.
    """

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        # An endpoint that takes images (validate) sets its own, larger limit.
        view = (parser_context or {}).get("view")
        limit = getattr(view, "max_body_bytes", None) or settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge(gettext("The request body is larger than %(limit)d bytes.") % {"limit": limit})
        try:
            return loads_strict(raw.decode("utf-8"))
        except (ValueError, RecursionError) as error:
            # RecursionError: thousands of nested arrays; ValueError covers bad UTF-8 and bad JSON.
            raise exceptions.ParseError(
                gettext("The request body is not valid JSON: %(error)s.") % {"error": _short(error)}
            ) from None


def _short(error: Exception) -> str:
    # json's messages carry positions, never the document itself; keep them short for the response.
    return str(error).split("\n")[0][:200] if not isinstance(error, RecursionError) else gettext("nested too deeply")
