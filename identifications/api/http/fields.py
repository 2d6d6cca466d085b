"""Serializer fields that hold the contract's input rules: strict strings, ISO-8601 durations, country codes."""

import copy
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from identifications.durations import InvalidDuration, duration_span

# C0 controls (NUL included), DEL and C1 controls: never part of a name, a number or a reason.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# The same sets as JSON Schema (ECMA-262) regex classes for the OpenAPI document, in \uXXXX escapes that Python,
# ECMA and Rust regexes all read alike. WHITESPACE is what str.strip() removes, less the control characters.
CONTROL_CLASS = r"\u0000-\u001f\u007f-\u009f"
CONTROL_CLASS_BUT_LINE_BREAKS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
WHITESPACE_CLASS = r" \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
LINE_BREAKS_CLASS = r"\u0009\u000a\u000d"


class StrictCharField(serializers.CharField):
    """A string and only a string (DRF's CharField turns 42 into "42"), free of control characters.

    `max_length` counts the characters sent, before trimming, so that the OpenAPI `maxLength` is the whole rule.
    """

    default_error_messages = {
        "invalid": _("Must be a string."),
        "control_characters_not_allowed": _("Must not contain control characters."),
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
        if self.trim_whitespace and self.max_length is not None and len(data) > self.max_length:
            # DRF checks the trimmed value; without trimming, its own check (after the field's rules) is the same.
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)

    def json_schema(self) -> dict:
        """What the OpenAPI document adds to DRF's string schema (type, lengths): exactly the strings accepted."""
        controls = CONTROL_CLASS_BUT_LINE_BREAKS if self.allow_line_breaks else CONTROL_CLASS
        if self.allow_blank:
            # drf-spectacular adds "" as a oneOf alternative ({"maxLength": 0}) to a blankable field's pattern: this
            # one takes every other string, so that exactly one alternative matches.
            return {"pattern": f"^[^{controls}]+$"}
        if not self.trim_whitespace:
            # Without trimming, only "" is blank, and minLength says that.
            return {"pattern": f"^[^{controls}]*$"}
        blanks = WHITESPACE_CLASS + (LINE_BREAKS_CLASS if self.allow_line_breaks else "")
        return {"pattern": f"^[^{controls}]*[^{controls}{blanks}][^{controls}]*$"}


class CountryCodeField(StrictCharField):
    """An assigned ISO 3166-1 alpha-2 code, upper case."""

    default_error_messages = {
        "invalid": _("Must be an ISO 3166-1 alpha-2 code in upper case, such as ES."),
        "invalid_choice": _("{code} is not an assigned ISO 3166-1 country code."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 2)
        # Exactly the code: " ES" is not an ISO 3166-1 code any more than "es" is.
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        code = super().to_internal_value(data)
        if not re.fullmatch(r"[A-Z]{2}", code):
            self.fail("invalid")
        if code not in countries:
            self.fail("invalid_choice", code=code)
        return code

    def json_schema(self) -> dict:
        return {"enum": sorted(country.code for country in countries)}


class DurationField(StrictCharField):
    """An ISO-8601 duration (`P7D`, `PT12H`), turned into the timedelta it spans from the request's `now`."""

    default_error_messages = {
        "invalid": _("Must be an ISO-8601 duration such as P7D or PT12H."),
        "min_value": _("Must be at least {minimum}."),
        "max_value": _("Must be at most {maximum}."),
    }

    MAX_TEXT_LENGTH = 64

    # The designator form isodate parses (its alternative form, P0001-02-03T..., always spans over a year). The
    # pattern cannot say "between minimum and maximum"; the description does.
    PATTERN = (
        r"^[+-]?P(?:[0-9]+(?:[,.][0-9]+)?Y)?(?:[0-9]+(?:[,.][0-9]+)?M)?(?:[0-9]+(?:[,.][0-9]+)?W)?"
        r"(?:[0-9]+(?:[,.][0-9]+)?D)?(?:T(?:[0-9]+(?:[,.][0-9]+)?H)?(?:[0-9]+(?:[,.][0-9]+)?M)?"
        r"(?:[0-9]+(?:[,.][0-9]+)?S)?)?$"
    )

    def __init__(self, *, minimum: timedelta, maximum: timedelta, maximum_label: str, minimum_label: str, **kwargs):
        # " P7D" is not an ISO-8601 duration.
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum
        self.minimum_label, self.maximum_label = minimum_label, maximum_label

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        now: datetime = self.context["now"]
        if len(text) > self.MAX_TEXT_LENGTH:
            self.fail("invalid")
        try:
            span = duration_span(text, now=now)
        except InvalidDuration:
            self.fail("invalid")
        if span < self.minimum:
            self.fail("min_value", minimum=self.minimum_label)
        if span > self.maximum:
            self.fail("max_value", maximum=self.maximum_label)
        return span

    def json_schema(self) -> dict:
        return {"pattern": self.PATTERN, "maxLength": self.MAX_TEXT_LENGTH}


class StrictDateField(serializers.DateField):
    """A date as YYYY-MM-DD (RFC 3339 full-date) and nothing else: strptime's %m and %d also take "1" and " 1"."""

    SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if not isinstance(value, str) or not self.SHAPE.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class StrictDateTimeField(serializers.DateTimeField):
    default_error_messages = {"max_length": _("Ensure this field has no more than {max_length} characters.")}

    """An RFC 3339 date-time with its offset, as the OpenAPI `date-time` format says; not everything Python's
    fromisoformat takes ("2026-11-25", "20261125T1200", no offset)."""

    SHAPE = re.compile(
        r"(?P<main>[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
        r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})"
    )
    FORMAT = "YYYY-MM-DDThh:mm:ss[.ffffff](Z|+hh:mm|-hh:mm)"
    # Nanoseconds and an offset fit; the bound keeps the OpenAPI document's query strings within the server's
    # request line (tests/api/test_schema_request_line.py).
    MAX_LENGTH = 40

    def to_internal_value(self, value):
        if isinstance(value, str) and len(value) > self.MAX_LENGTH:
            self.fail("max_length", max_length=self.MAX_LENGTH)
        match = self.SHAPE.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            self.fail("invalid", format=self.FORMAT)
        fraction = (match["fraction"] or "")[:6].ljust(6, "0")
        offset = "+00:00" if match["offset"] in "Zz" else match["offset"]
        try:
            parsed = datetime.fromisoformat(f"{match['main'].upper()}.{fraction}{offset}")
        except ValueError:
            self.fail("invalid", format=self.FORMAT)
        try:
            return self.enforce_timezone(parsed)
        except OverflowError:
            # Within a day of year 1 or 9999 the instant lies outside Python's UTC range: the nearest one will do.
            return (datetime.min if parsed.year == 1 else datetime.max).replace(tzinfo=UTC)


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not declare (they are almost always typos) as `unknown_field`."""

    def get_fields(self):
        # DRF deep-copies the declared fields for every serializer instance, which re-runs each field's __init__
        # on deep copies of all its arguments (labels, help texts, choices, ...): about half of a create's input
        # validation CPU (bench/NOTES.md, "The create path"). Each instance still needs fields of its own, because
        # binding a field to its serializer (`bind`: parent, field_name, source) writes to the field; a shallow copy
        # gives it that. What the copies share was built once at declaration and is only read afterwards (the
        # arguments, error messages, validators). Nested serializers keep DRF's deep copy: a copy of one must not
        # share the `fields` (or a list's `child`) it binds to itself.
        return {
            name: copy.deepcopy(field) if isinstance(field, serializers.BaseSerializer) else copy.copy(field)
            for name, field in self._declared_fields.items()
        }

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            unknown = {
                str(key): [ErrorDetail(gettext("Unknown field."), code="unknown_field")]
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
