import base64
import binascii
from datetime import UTC, datetime
from urllib import parse

from django.utils.translation import gettext
from rest_framework import serializers
from rest_framework.pagination import Cursor, CursorPagination

CURSOR_KEYS = {"o", "r", "p"}


def invalid_cursor() -> serializers.ValidationError:
    return serializers.ValidationError({"cursor": [gettext("Invalid cursor: use the next or previous URL as given.")]})


def _aware_utc(position: str) -> datetime:
    """The position as the database adapters will use it: with an offset (we only write those), and convertible to
    UTC. SQLite's adapter converts to UTC and overflows near year 1 or 9999 (a 500); this raises OverflowError
    here, before any query."""
    moment = datetime.fromisoformat(position)
    if moment.tzinfo is None:
        raise ValueError("cursor position without an offset")
    return moment.astimezone(UTC)


class NewestFirstCursorPagination(CursorPagination):
    """Opaque cursors over (created_at, id): pages stay stable when rows are inserted meanwhile."""

    ordering = ("-created_at", "-id")
    page_size = 25
    page_size_query_param = "limit"
    max_page_size = 100

    def decode_cursor(self, request):
        """DRF's decoder, made strict: it drops characters outside the base64 alphabet and lets a position that is
        not a timestamp reach the database; a cursor we did not write is a 400 naming `cursor` here."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            querystring = base64.b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse.parse_qs(querystring, keep_blank_values=True, strict_parsing=True)
            if not tokens or set(tokens) - CURSOR_KEYS or any(len(values) != 1 for values in tokens.values()):
                raise ValueError("unexpected cursor keys")
            offset = int(tokens.get("o", ["0"])[0])
            reverse = tokens.get("r", ["0"])[0]
            position = tokens.get("p", [None])[0]
            if not 0 <= offset <= self.offset_cutoff or reverse not in ("0", "1"):
                raise ValueError("cursor out of range")
            if position is not None:
                _aware_utc(position)
        except (UnicodeError, binascii.Error, ValueError, OverflowError):
            raise invalid_cursor() from None
        return Cursor(offset=offset, reverse=reverse == "1", position=position)
