"""drf-spectacular: the Bearer scheme of our authentication class, and the error responses every operation shares."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse

from identifications.api.serializers import ErrorsResponse


class BearerAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "identifications.api.authentication.BearerAPIKeyAuthentication"
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
    target_class = "identifications.api.holder_auth.ClientSecretAuthentication"
    name = "ClientSecret"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The identification's client secret from the create response: `Bearer idsec_...`. "
            "Reads and validates that one identification until it expires.",
        }
