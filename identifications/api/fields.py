"""Serializer fields that hold the contract's input rules: strict strings, ISO-8601 durations, country codes."""

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

import isodate
from django_countries import countries
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

# C0 controls (NUL included), DEL and C1 controls: never part of a name, a number or a reason.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class StrictCharField(serializers.CharField):
    """A string and only a string (DRF's CharField turns 42 into "42"), free of control characters."""

    default_error_messages = {
        "invalid": "Must be a string.",
        "control_characters_not_allowed": "Must not contain control characters.",
    }

    def __init__(self, **kwargs):
        self.allow_line_breaks = kwargs.pop("allow_line_breaks", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        checked = re.sub(r"[\r\n\t]", "", data) if self.allow_line_breaks else data
        if CONTROL_CHARACTERS.search(checked):
            self.fail("control_characters_not_allowed")
        return super().to_internal_value(data)


class CountryCodeField(StrictCharField):
    """An assigned ISO 3166-1 alpha-2 code, upper case."""

    default_error_messages = {
        "invalid": "Must be an ISO 3166-1 alpha-2 code in upper case, such as ES.",
        "invalid_choice": "{code} is not an assigned ISO 3166-1 country code.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        code = super().to_internal_value(data)
        if not re.fullmatch(r"[A-Z]{2}", code):
            self.fail("invalid")
        if code not in countries:
            self.fail("invalid_choice", code=code)
        return code


class DurationField(StrictCharField):
    """An ISO-8601 duration (`P7D`, `PT12H`), turned into the timedelta it spans from the request's `now`."""

    default_error_messages = {
        "invalid": "Must be an ISO-8601 duration such as P7D or PT12H.",
        "min_value": "Must be at least {minimum}.",
        "max_value": "Must be at most {maximum}.",
    }

    MAX_TEXT_LENGTH = 64

    def __init__(self, *, minimum: timedelta, maximum: timedelta, maximum_label: str, minimum_label: str, **kwargs):
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum
        self.minimum_label, self.maximum_label = minimum_label, maximum_label

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        now: datetime = self.context["now"]
        if len(text) > self.MAX_TEXT_LENGTH:
            self.fail("invalid")
        try:
            # Calendar durations (P1M) depend on the date they start from, so measure them from now.
            span = (now + isodate.parse_duration(text)) - now
        except (isodate.ISO8601Error, ValueError, OverflowError, ArithmeticError, TypeError):
            self.fail("invalid")
        if span < self.minimum:
            self.fail("min_value", minimum=self.minimum_label)
        if span > self.maximum:
            self.fail("max_value", maximum=self.maximum_label)
        return span


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not declare (they are almost always typos) as `unknown_field`."""

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            unknown = {
                str(key): [ErrorDetail("Unknown field.", code="unknown_field")]
                for key in data
                if key not in self.fields or self.fields[key].read_only
            }
        try:
            value = super().to_internal_value(data)
        except ValidationError as error:
            if unknown and isinstance(error.detail, dict):
                raise ValidationError({**error.detail, **unknown}) from None
            raise
        if unknown:
            raise ValidationError(unknown)
        return value
