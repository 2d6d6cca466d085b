"""drf-spectacular: the Bearer scheme of our authentication class, and the error responses every operation shares."""

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.utils import OpenApiResponse

from identifications.api.organization_inputs import ErrorsResponse


class BearerAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "identifications.api.http.authentication.BearerAPIKeyAuthentication"
    name = "BearerAPIKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organization API key: `Authorization: Bearer <prefix>.<secret>`.",
        }


ERROR_DESCRIPTIONS = {
    400: "Request input is not valid.",
    401: "Unauthorized. AuthN and AuthZ validations have failed.",
    404: "Not found. Entity does not exist or can not be found.",
    405: "Method not allowed.",
    409: "Conflict. Entity state has conflicts between its new state and the old one.",
    413: "Request body too large.",
    415: "Unsupported media type: the body must be application/json.",
    500: "Not expected error.",
    503: "Service temporarily unavailable.",
}


def error_responses(*statuses: int) -> dict:
    return {
        status: OpenApiResponse(response=ErrorsResponse, description=ERROR_DESCRIPTIONS[status]) for status in statuses
    }


class ClientSecretScheme(OpenApiAuthenticationExtension):
    target_class = "identifications.api.http.client_secret.ClientSecretAuthentication"
    name = "ClientSecret"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The identification's client secret from the create response: `Bearer idsec_...`. "
            "Reads and validates that one identification until it expires.",
        }


# The document states the input rules exactly (the schema fuzzer in tests/fuzz/ holds it to that): the strict fields
# and serializers of identifications/api/fields.py describe what they accept, and these extensions write it down.


class StrictCharFieldSchema(OpenApiSerializerFieldExtension):
    """DRF's string schema (type, lengths) plus the field's own rule: a pattern or an enum."""

    target_class = "identifications.api.http.fields.StrictCharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, **_with_null(self.target, self.target.json_schema())}


class StrictDateTimeFieldSchema(OpenApiSerializerFieldExtension):
    """DRF's date-time schema plus the field's length bound."""

    target_class = "identifications.api.http.fields.StrictDateTimeField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "maxLength": self.target.MAX_LENGTH}


class StrictSerializerSchema(OpenApiSerializerExtension):
    """Unknown fields are 400 unknown_field: `additionalProperties: false`."""

    target_class = "identifications.api.http.fields.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        return {**auto_schema._map_basic_serializer(self.target, direction), "additionalProperties": False}


class EvidenceMetadataFieldSchema(OpenApiSerializerFieldExtension):
    """The metadata object, or the same object as JSON text."""

    target_class = "identifications.api.holder_inputs.EvidenceMetadataField"

    def map_serializer_field(self, auto_schema, direction):
        from identifications.api.holder_inputs import METADATA_JSON_MAX_LENGTH, EvidenceMetadataInput

        as_text = {
            "type": "string",
            "maxLength": METADATA_JSON_MAX_LENGTH,
            "description": "The same object as JSON text.",
        }
        return {"oneOf": [auto_schema.resolve_serializer(EvidenceMetadataInput, direction).ref, as_text]}


def _with_null(field, rule: dict) -> dict:
    # OpenAPI 3.0: a nullable enum lists null among its values.
    if "enum" in rule and field.allow_null:
        return {**rule, "enum": [*rule["enum"], None]}
    return rule


def string_parameter_schema(field) -> dict:
    """The schema of a header or query parameter read by a StrictCharField (OpenApiParameter takes a raw schema)."""
    schema = {"type": "string"}
    if not field.allow_blank:
        schema["minLength"] = 1
    if field.max_length is not None:
        schema["maxLength"] = field.max_length
    return {**schema, **field.json_schema()}
