"""The Identification with identity document Admin API: create, list, close and redact. Views validate, call one
service or selector, and serialize; the services decide."""

import re
import uuid

from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from identifications import selectors, services
from identifications.api import organization_inputs as serializers
from identifications.api.http.authentication import BearerAPIKeyAuthentication
from identifications.api.http.base import APIViewSet
from identifications.api.http.pagination import NewestFirstCursorPagination
from identifications.api.http.permissions import CredentialMayAccess
from identifications.api.http.schema import error_responses
from identifications.api.list_inputs import IdentificationListQuery
from identifications.errors import DomainError

TAG = "Identification with identity document Admin"
# The slug's own rule (Organization.slug); any other org_id is a 401 like any key mismatch.
ORG_ID = OpenApiParameter(
    "org_id",
    {"type": "string", "minLength": 1, "maxLength": 50, "pattern": r"^[-a-zA-Z0-9_]+$"},
    OpenApiParameter.PATH,
    description="Organization name (its slug).",
)
# The hyphenated form, either case: uuid.UUID() also takes "{...}", "urn:uuid:...", bare hex and stray hyphens.
UUID_SHAPE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
UUID_SCHEMA = {"type": "string", "format": "uuid", "pattern": f"^{UUID_SHAPE.pattern}$"}
ADMIN_IDENTIFICATION_ID = OpenApiParameter(
    "admin_identification_id",
    UUID_SCHEMA,
    OpenApiParameter.PATH,
    description="uuid identification unique identifier",
)


class InvalidRequest(DomainError):
    code = "invalid_request"


def json_object_body(request, *, optional: bool = False) -> dict:
    """The body as a JSON object. An empty body is `{}` only where the whole body is optional (close, redact: API.md
    "Optional body"); where an object is required (create, validate) it is a 400, not a blank identification or a
    consumed attempt."""
    if not request.body:
        if optional:
            return {}
        raise InvalidRequest(gettext("The request body must be a JSON object; it is empty."))
    if not isinstance(request.data, dict):
        raise InvalidRequest(
            gettext("The request body must be a JSON object, not %(kind)s.") % {"kind": _json_kind(request.data)}
        )
    return request.data


def _json_kind(value) -> str:
    kinds = {list: gettext("an array"), str: gettext("a string"), bool: gettext("a boolean"), type(None): "null"}
    return kinds.get(type(value), gettext("a number"))


def parse_uuid(value: str, field: str) -> uuid.UUID:
    if not UUID_SHAPE.fullmatch(value):
        raise ValidationError({field: [gettext("Must be a valid UUID.")]}, code="invalid")
    return uuid.UUID(value)


class IdentityDocumentIdentificationViewSet(APIViewSet):
    """Identification with identity document administrative services, for the organization's back end."""

    # The organization's key only: the holder's client secret may not create, list, close or redact.
    authentication_classes = [BearerAPIKeyAuthentication]
    permission_classes = [CredentialMayAccess]
    pagination_class = NewestFirstCursorPagination
    lookup_url_kwarg = "admin_identification_id"
    # Any segment reaches the view so that a malformed id is a 400 naming the field, not a bare 404.
    lookup_value_regex = "[^/]+"

    @extend_schema(
        operation_id="createIdentityDocumentIdentification",
        summary="Create an identification with identity document",
        tags=[TAG],
        parameters=[ORG_ID],
        request=serializers.CreateIdentityDocumentIdentificationRequest,
        responses={
            200: OpenApiResponse(
                serializers.CreateIdentityDocumentIdentificationResponse,
                description="New agent identification is created.",
            ),
            **error_responses(400, 401, 405, 413, 415, 500, 503),
        },
    )
    def create(self, request, org_id):
        credential = request.auth
        now = timezone.now()
        serializer = serializers.CreateIdentityDocumentIdentificationRequest(
            data=json_object_body(request), context={"now": now}
        )
        serializer.is_valid(raise_exception=True)
        identification = services.identification_create(
            organization=credential.organization,
            actor=credential.actor,
            now=now,
            **serializer.validated_data,
        )
        body = serializers.CreateIdentityDocumentIdentificationResponse(identification).data
        return Response(body, status=status.HTTP_200_OK)

    @extend_schema(
        operation_id="listIdentityDocumentIdentifications",
        summary="List identifications with identity document, newest first",
        tags=[TAG],
        parameters=[ORG_ID, IdentificationListQuery],
        responses={
            200: serializers.IdentityDocumentIdentificationResponse(many=True),
            **error_responses(400, 401, 405),
        },
    )
    def list(self, request, org_id):
        # A plain dict, not the QueryDict: DRF reads a QueryDict like an HTML form, where "?status=" means "not
        # given"; here an empty value is a 400 naming the parameter.
        query = IdentificationListQuery(data={key: request.query_params[key] for key in request.query_params})
        query.is_valid(raise_exception=True)
        filters = {key: value for key, value in query.validated_data.items() if key not in ("limit", "cursor")}
        queryset = selectors.identification_list(organization=request.auth.organization, **filters)
        page = services.identifications_expire_page(self.paginate_queryset(queryset))
        body = serializers.IdentityDocumentIdentificationResponse(page, many=True).data
        return self.get_paginated_response(body)

    @extend_schema(
        operation_id="closeIdentityDocumentIdentification",
        summary="Close an identification with identity document",
        tags=[TAG],
        parameters=[ORG_ID, ADMIN_IDENTIFICATION_ID],
        request=serializers.CloseIdentityDocumentIdentificationRequest,
        responses={
            204: OpenApiResponse(description="Action executed correctly."),
            **error_responses(400, 401, 404, 405, 409, 413, 415, 500, 503),
        },
    )
    @action(detail=True, methods=["post"])
    def close(self, request, org_id, admin_identification_id):
        return self._act_with_reason(
            request,
            admin_identification_id,
            serializers.CloseIdentityDocumentIdentificationRequest,
            services.identification_close,
        )

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
        request=serializers.RedactIdentityDocumentIdentificationRequest,
        responses={
            204: OpenApiResponse(description="The personal data is erased (now or by an earlier call)."),
            **error_responses(400, 401, 404, 405, 413, 415, 500, 503),
        },
    )
    @action(detail=True, methods=["post"])
    def redact(self, request, org_id, admin_identification_id):
        """Erase the person's data from an identification; its status, dates and history stay."""
        return self._act_with_reason(
            request,
            admin_identification_id,
            serializers.RedactIdentityDocumentIdentificationRequest,
            services.identification_redact,
        )

    def _act_with_reason(self, request, admin_identification_id, serializer_class, service):
        """Close and redact: one identification in the path, an optional audit reason in the body, a 204."""
        credential = request.auth
        identification_id = parse_uuid(admin_identification_id, "admin_identification_id")
        serializer = serializer_class(data=json_object_body(request, optional=True))
        serializer.is_valid(raise_exception=True)
        service(
            identification_id=identification_id,
            organization=credential.organization,
            actor=credential.actor,
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
