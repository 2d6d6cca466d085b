"""A JSON parser that turns every malformed body into a 4xx instead of letting it reach a 500."""

import json

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "The request body is too large."


def _reject_duplicate_keys(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


class StrictJSONParser(JSONParser):
    """JSON objects only as UTF-8, bounded in size, without duplicate keys or NaN/Infinity."""

    def parse(self, stream, media_type=None, parser_context=None):
        # An endpoint that takes images (validate) sets its own, larger limit.
        view = (parser_context or {}).get("view")
        limit = getattr(view, "max_body_bytes", None) or settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge(f"The request body is larger than {limit} bytes.")
        try:
            text = raw.decode("utf-8")
            return json.loads(text, object_pairs_hook=_reject_duplicate_keys, parse_constant=self._reject_constant)
        except (ValueError, RecursionError) as error:
            # RecursionError: thousands of nested arrays; ValueError covers bad UTF-8 and bad JSON.
            raise exceptions.ParseError(f"The request body is not valid JSON: {_short(error)}.") from None

    @staticmethod
    def _reject_constant(name):
        raise ValueError(f"{name} is not valid JSON")


def _short(error: Exception) -> str:
    # json's messages carry positions, never the document itself; keep them short for the response.
    return str(error).split("\n")[0][:200] if not isinstance(error, RecursionError) else "nested too deeply"
