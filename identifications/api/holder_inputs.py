"""Input of the holder's validate step: device headers, the evidence image and what was read off the document."""

import base64
import binascii
import io
import re
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from PIL import Image, UnidentifiedImageError
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from identifications.api.http.fields import (
    WHITESPACE_CLASS,
    CountryCodeField,
    StrictCharField,
    StrictDateField,
    StrictSerializer,
)
from identifications.api.http.parsers import loads_strict
from identifications.client_address import client_address
from identifications.documents import normalise_document_number
from identifications.services.attempts import DeviceContext, Evidence
from scoring.checks import EvidenceMetadata
from scoring.mrz import MRZError, validate_lines

IMAGE_TYPES = {"PNG": ("image/png", ".png"), "JPEG": ("image/jpeg", ".jpg")}
LOCATION = re.compile(r"^ *(-?[0-9]{1,3}(?:\.[0-9]{1,12})?) *, *(-?[0-9]{1,3}(?:\.[0-9]{1,12})?) *$")
# LOCATION with the ranges written out, for the OpenAPI document: latitude -90..90, longitude -180..180.
_LATITUDE = r"-?(?:0?[0-8]?[0-9](?:\.[0-9]{1,12})?|0?90(?:\.0{1,12})?)"
_LONGITUDE = r"-?(?:(?:[0-9]{1,2}|0[0-9]{2}|1[0-7][0-9])(?:\.[0-9]{1,12})?|180(?:\.0{1,12})?)"
LOCATION_PATTERN = rf"^ *{_LATITUDE} *, *{_LONGITUDE} *$"
BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
METADATA_JSON_MAX_LENGTH = 20_000


def _base64_length(limit: int) -> int:
    """The longest base64 text of at most `limit` bytes (with slack for padding)."""
    return (limit * 4) // 3 + 4


class EvidenceField(StrictCharField):
    """A base64 PNG or JPEG. The type is read from the bytes (Pillow parses the header), never trusted."""

    default_error_messages = {
        "invalid_base64": _("Must be base64-encoded image bytes."),
        "too_large": _("The image is larger than {limit} bytes."),
        "invalid_image": _("Must be a PNG or JPEG image."),
        "too_many_pixels": _("The image has more than {limit} pixels."),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # CharField's null and surrogate checks run on the value this field returns, the Evidence: they would
        # stringify it, decoded image included (about 3 characters a byte: 55 ms of CPU for a 92 KB photo in the
        # surrogate check, 0.5 ms in the null check's str() of the dataclass). base64's strict decoding below
        # already refuses every character outside its ASCII alphabet, NUL and surrogates included.
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, ProhibitSurrogateCharactersValidator | ProhibitNullCharactersValidator)
        ]

    def to_internal_value(self, data):
        limit = settings.EVIDENCE_MAX_BYTES
        content = self._decoded_as_sent(data, limit)
        if content is None:
            # Not plain base64 as sent: StrictCharField's rules (a string, no control characters, trimmed) and then
            # base64, for the error that names what is wrong.
            text = super().to_internal_value(data)
            if len(text) > _base64_length(limit):
                self.fail("too_large", limit=limit)
            try:
                content = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                self.fail("invalid_base64")
        if len(content) > limit:
            self.fail("too_large", limit=limit)
        pixel_limit = settings.EVIDENCE_MAX_PIXELS
        try:
            with warnings.catch_warnings():
                # Pillow warns above its MAX_IMAGE_PIXELS (and refuses above twice that) while reading the header.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(content)) as image:
                    image_format = image.format
                    width, height = image.size
                    image.verify()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            self.fail("too_many_pixels", limit=pixel_limit)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            self.fail("invalid_image")
        # A few bytes can declare any size; scoring (and the admin's preview) would decode every declared pixel.
        if width * height > pixel_limit:
            self.fail("too_many_pixels", limit=pixel_limit)
        if image_format not in IMAGE_TYPES:
            self.fail("invalid_image")
        content_type, extension = IMAGE_TYPES[image_format]
        return Evidence(content=content, content_type=content_type, extension=extension)

    @staticmethod
    def _decoded_as_sent(data, limit: int) -> bytes | None:
        """The bytes of a string that is strict base64 from end to end, else None. Such a string holds only the
        base64 alphabet, so StrictCharField's control-character scan (0.5 ms over a 92 KB photo's 123 KB of text)
        and trimming could not change it or refuse it."""
        if not isinstance(data, str) or len(data) > _base64_length(limit):
            return None
        try:
            return base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return None

    def json_schema(self) -> dict:
        limit = settings.EVIDENCE_MAX_BYTES
        return {"format": "byte", "pattern": BASE64_PATTERN, "maxLength": _base64_length(limit)}


def _mrz_lines(count: int, length: int) -> dict:
    # Surrounding whitespace is forgiven (OCR output carries it), inner is not.
    pattern = rf"^[{WHITESPACE_CLASS}]*[A-Z0-9<]{{{length}}}[{WHITESPACE_CLASS}]*$"
    line = {"type": "string", "maxLength": 60, "pattern": pattern}
    return {"type": "array", "minItems": count, "maxItems": count, "items": line}


@extend_schema_field({"oneOf": [_mrz_lines(3, 30), _mrz_lines(2, 44)]})
class MRZLinesField(serializers.ListField):
    child = StrictCharField(max_length=60, trim_whitespace=False)

    def __init__(self, **kwargs):
        super().__init__(min_length=2, max_length=3, **kwargs)

    def to_internal_value(self, data):
        lines = super().to_internal_value(data)
        if any(not line.strip() for line in lines):
            # The MRZ reader would drop a blank line and read [" ", TD3, TD3] as a TD3: each line counts.
            raise serializers.ValidationError(gettext("An MRZ line must not be blank."), code="blank")
        try:
            validate_lines(lines)
        except MRZError as error:
            # scoring.mrz marks its English templates for the catalogue: answer in the request's language.
            message = gettext(error.template) % error.params
            raise serializers.ValidationError(message, code="invalid") from None
        return tuple(lines)


@extend_schema_serializer(component_name="EvidenceMetadata")
class EvidenceMetadataInput(StrictSerializer):
    document_number = StrictCharField(max_length=40, required=False, allow_null=True)
    document_type = StrictCharField(max_length=20, required=False, allow_null=True)
    country = CountryCodeField(required=False, allow_null=True)
    name = StrictCharField(max_length=150, required=False, allow_null=True, allow_blank=True)
    last_name = StrictCharField(max_length=150, required=False, allow_null=True, allow_blank=True)
    birth_date = StrictDateField(required=False, allow_null=True)
    expiry_date = StrictDateField(required=False, allow_null=True)
    mrz = MRZLinesField(required=False, allow_null=True, help_text="The MRZ lines: 3 of 30 (TD1) or 2 of 44 (TD3).")

    def validate(self, attrs):
        number = attrs.get("document_number")
        return EvidenceMetadata(
            document_number=normalise_document_number(number) if number else None,
            document_type=attrs.get("document_type"),
            country=attrs.get("country"),
            name=attrs.get("name"),
            last_name=attrs.get("last_name"),
            birth_date=attrs.get("birth_date"),
            expiry_date=attrs.get("expiry_date"),
            mrz=attrs.get("mrz"),
        )


class EvidenceMetadataField(serializers.Field):
    """An object, or the same object as a JSON string (as the agent family's clients send it); its OpenAPI schema
    (a oneOf of both) is in identifications/api/schema.py."""

    default_error_messages = {
        "invalid_json": _("Must be an object or a string holding a JSON object."),
        "too_long": _("Is too long."),
    }

    def to_internal_value(self, data):
        if isinstance(data, str):
            if len(data) > METADATA_JSON_MAX_LENGTH:
                self.fail("too_long")
            try:
                data = loads_strict(data)
            except (ValueError, RecursionError):
                self.fail("invalid_json")
        if not isinstance(data, dict):
            self.fail("invalid_json")
        metadata = EvidenceMetadataInput(data=data)
        metadata.is_valid(raise_exception=True)
        return metadata.validated_data

    def to_representation(self, value):
        return value


@extend_schema_serializer(component_name="ValidateIdentityDocumentIdentification")
class ValidateIdentityDocumentIdentificationRequest(StrictSerializer):
    evidence = EvidenceField(
        required=False, allow_null=True, help_text="Base64 PNG or JPEG of the document, at most EVIDENCE_MAX_BYTES."
    )
    evidence_metadata = EvidenceMetadataField(required=False, allow_null=True)

    def validate(self, attrs):
        return {
            "evidence": attrs.get("evidence"),
            "metadata": attrs.get("evidence_metadata") or EvidenceMetadata(),
        }


class LocationField(StrictCharField):
    default_error_messages = {
        "invalid_location": _("Must be 'latitude,longitude' in degrees, such as 40.4168,-3.7038.")
    }

    def __init__(self, **kwargs):
        # LOCATION itself allows the spaces it allows; the OpenAPI pattern is then the whole rule.
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def json_schema(self) -> dict:
        return {"pattern": LOCATION_PATTERN}

    def to_internal_value(self, data):
        match = LOCATION.match(super().to_internal_value(data))
        if not match:
            self.fail("invalid_location")
        latitude, longitude = float(match[1]), float(match[2])
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            self.fail("invalid_location")
        return latitude, longitude


class DeviceHeaders(serializers.Serializer):
    installation_id = StrictCharField(
        max_length=200,
        error_messages={
            # The commonest cause: a server or proxy on the way dropped the underscored spelling.
            "required": _("This header is required. Send it as x-installation-id if a proxy drops x-installation_id.")
        },
    )
    fingerprint = StrictCharField(max_length=200)
    location = LocationField(max_length=64, required=False)
    user_agent = StrictCharField(max_length=500)


@dataclass(frozen=True)
class DeviceHeader:
    """One device header of validate: the DeviceHeaders field it fills, its documented name and description."""

    field: str
    name: str
    description: str | None = None

    @property
    def meta_key(self) -> str:
        # How WSGI presents it: `x-installation_id` and `x-installation-id` are the same header to Django.
        return "HTTP_" + self.name.upper().replace("-", "_")


# The device headers, once: device_context reads them and the OpenAPI document (api/holder.py) lists them.
DEVICE_HEADERS = (
    DeviceHeader("installation_id", "x-installation_id", "App install."),
    DeviceHeader("fingerprint", "x-fingerprint", "Device fingerprint."),
    DeviceHeader("location", "x-location", "'latitude,longitude' in degrees."),
    DeviceHeader("user_agent", "User-Agent"),
)


def device_context(request) -> DeviceContext:
    """The seed family's device headers. Servers and proxies that drop underscored headers need the hyphenated
    spelling of `x-installation_id`, which Django reads as the same header."""
    meta = request.META
    raw = {header.field: meta.get(header.meta_key) for header in DEVICE_HEADERS}
    headers = DeviceHeaders(data={key: value for key, value in raw.items() if value is not None})
    if not headers.is_valid():
        names = {header.field: header.name for header in DEVICE_HEADERS}
        raise serializers.ValidationError({names[key]: value for key, value in headers.errors.items()})
    values = headers.validated_data
    latitude, longitude = values.get("location", (None, None))
    return DeviceContext(
        installation_id=values["installation_id"],
        fingerprint=values["fingerprint"],
        user_agent=values["user_agent"],
        latitude=latitude,
        longitude=longitude,
        ip_address=client_address(request),
    )
