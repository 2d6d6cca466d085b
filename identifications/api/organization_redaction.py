"""Redact: the organization erases the person's data from one of its identifications (the audit record stays)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from identifications.actors import Actor
from identifications.api.http.authentication import BearerAPIKeyAuthentication
from identifications.api.http.base import APIViewSet
from identifications.api.http.fields import StrictSerializer
from identifications.api.http.permissions import IsOrganizationAPIKey
from identifications.api.http.schema import error_responses
from identifications.api.organization import ADMIN_IDENTIFICATION_ID, ORG_ID, TAG, json_object_body, parse_uuid
from identifications.api.organization_inputs import audit_reason_field
from identifications.services.redaction import identification_redact


@extend_schema_serializer(component_name="RedactIdentityDocumentIdentification")
class RedactIdentityDocumentIdentificationRequest(StrictSerializer):
    reason = audit_reason_field("Why the data is erased (e.g. the person's erasure request); kept in the audit trail.")


class IdentityDocumentIdentificationRedactionViewSet(APIViewSet):
    """Erase the person's data from an identification; its status, dates and history stay."""

    # The organization's key only: the holder's client secret dies with the redaction and may not trigger it.
    authentication_classes = [BearerAPIKeyAuthentication]
    permission_classes = [IsOrganizationAPIKey]
    lookup_url_kwarg = "admin_identification_id"
    # Any segment reaches the view so that a malformed id is a 400 naming the field, not a bare 404.
    lookup_value_regex = "[^/]+"

    @extend_schema(
        operation_id="redactIdentityDocumentIdentification",
        summary="Redact the personal data of an identification with identity document",
        description=(
            "Erases names, document number, the client secret, each attempt's document metadata, device and "
            "location, and the evidence images; status, timestamps, scores and the audit trail stay, and get and "
            "list show `redacted_at`. A PENDING identification is closed first. Redacting again changes nothing."
        ),
        tags=[TAG],
        parameters=[ORG_ID, ADMIN_IDENTIFICATION_ID],
        request=RedactIdentityDocumentIdentificationRequest,
        responses={
            204: OpenApiResponse(description="The personal data is erased (now or by an earlier call)."),
            **error_responses(400, 401, 404, 405, 413, 415, 500, 503),
        },
    )
    @action(detail=True, methods=["post"])
    def redact(self, request, org_id, admin_identification_id):
        api_key = request.auth
        identification_id = parse_uuid(admin_identification_id, "admin_identification_id")
        serializer = RedactIdentityDocumentIdentificationRequest(data=json_object_body(request, optional=True))
        serializer.is_valid(raise_exception=True)
        identification_redact(
            identification_id=identification_id,
            organization=api_key.organization,
            actor=Actor.api_key(api_key),
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
