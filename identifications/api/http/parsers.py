"""A JSON parser that turns every malformed body into a 4xx instead of letting it reach a 500."""

import json

from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.parsers import BaseParser

from identifications.api.http.body import body_limit, read_body


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
    500) above DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB), under validate's own limit. The bytes come from body.read_body,
    the reader the idempotency fingerprint uses too, so both see the same bytes, chunked or not.
    """

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        context = parser_context or {}
        raw = read_body(context["request"]._request, body_limit(context.get("view")))
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
