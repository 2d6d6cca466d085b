"""The holder-side family: retrieve an identification and validate it (one attempt, scored by the worker)."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from identifications import selectors
from identifications.api import organization_inputs as serializers
from identifications.api.holder_inputs import (
    DEVICE_HEADERS,
    DeviceHeaders,
    ValidateIdentityDocumentIdentificationRequest,
    device_context,
)
from identifications.api.http.authentication import BearerAPIKeyAuthentication
from identifications.api.http.base import APIViewSet
from identifications.api.http.client_secret import ClientSecretAuthentication
from identifications.api.http.permissions import CredentialMayAccess
from identifications.api.http.schema import error_responses, string_parameter_schema
from identifications.api.organization import ORG_ID, UUID_SCHEMA, json_object_body, parse_uuid
from identifications.selectors.identifications import identification_get_for_validation
from identifications.services.attempts import identification_validate
from identifications.services.lifecycle import identification_expire_if_due

TAG = "Identification with identity document"
IDENTIFICATION_ID = OpenApiParameter(
    "identification_id", UUID_SCHEMA, OpenApiParameter.PATH, description="uuid identification unique identifier"
)
_DEVICE = DeviceHeaders().fields
DEVICE_HEADER_PARAMETERS = [
    OpenApiParameter(
        header.name,
        string_parameter_schema(_DEVICE[header.field]),
        OpenApiParameter.HEADER,
        required=_DEVICE[header.field].required,
        description=header.description,
    )
    for header in DEVICE_HEADERS
]


class IdentityDocumentIdentificationHolderViewSet(APIViewSet):
    """The person's side: read the identification and present the document. Authenticated by the identification's
    client secret (or, server to server, by the organization's API key)."""

    authentication_classes = [ClientSecretAuthentication, BearerAPIKeyAuthentication]
    permission_classes = [CredentialMayAccess]
    lookup_url_kwarg = "identification_id"
    lookup_value_regex = "[^/]+"
    max_body_bytes = settings.API_MAX_VALIDATE_BODY_BYTES

    def get_identification(self, request, identification_id, *, read=None):
        identification_id = parse_uuid(identification_id, "identification_id")
        # A client secret's authentication already loaded its identification (and checked it is the one in the
        # path); an API key reads it, with what the response needs unless the endpoint says otherwise (`read`).
        identification = request.auth.identification or (read or selectors.identification_get)(
            organization=request.auth.organization, identification_id=identification_id
        )
        return identification_expire_if_due(identification)

    @extend_schema(
        operation_id="getIdentityDocumentIdentification",
        summary="Get an identification with identity document",
        tags=[TAG],
        parameters=[ORG_ID, IDENTIFICATION_ID],
        responses={200: serializers.IdentityDocumentIdentificationResponse, **error_responses(400, 401, 404, 405)},
    )
    def retrieve(self, request, org_id, identification_id):
        identification = self.get_identification(request, identification_id)
        # A credential bound to one identification is its holder's client secret.
        for_holder = request.auth.identification is not None
        return Response(
            serializers.IdentityDocumentIdentificationResponse(identification, context={"for_holder": for_holder}).data
        )

    @extend_schema(
        operation_id="validateIdentityDocumentIdentification",
        summary="Validate an identification with identity document (one scoring attempt)",
        tags=[TAG],
        parameters=[ORG_ID, IDENTIFICATION_ID, *DEVICE_HEADER_PARAMETERS],
        request=ValidateIdentityDocumentIdentificationRequest,
        responses={
            204: OpenApiResponse(
                description="Attempt stored and queued for scoring; get shows `attempts.processing` until the "
                "outcome is recorded."
            ),
            **error_responses(400, 401, 404, 405, 413, 415, 500),
            409: OpenApiResponse(
                response=serializers.ErrorsResponse,
                description="Conflict: the identification is not PENDING (`identification_not_open`), or the "
                "previous attempt is still being scored (`attempt_in_progress`).",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def validate(self, request, org_id, identification_id):
        identification = self.get_identification(request, identification_id, read=identification_get_for_validation)
        device = device_context(request)
        body = ValidateIdentityDocumentIdentificationRequest(data=json_object_body(request))
        body.is_valid(raise_exception=True)
        identification_validate(
            identification=identification,
            actor=request.auth.actor,
            device=device,
            metadata=body.validated_data["metadata"],
            evidence=body.validated_data["evidence"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
