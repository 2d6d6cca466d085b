"""GET /v1/orgs/{org_id}/events and /events/{event_id}: the catch-up log for consumers that missed deliveries."""

import re
import uuid

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from identifications.api.http.authentication import BearerAPIKeyAuthentication
from identifications.api.http.base import APIViewSet
from identifications.api.http.fields import StrictCharField, StrictDateTimeField, StrictSerializer
from identifications.api.http.pagination import NewestFirstCursorPagination
from identifications.api.http.schema import error_responses
from identifications.api.list_inputs import CursorField, IdentificationListQuery
from identifications.api.organization import ORG_ID, UUID_SHAPE
from identifications.api.organization_inputs import StrictChoiceField
from identifications.models import Event, Identification
from identifications.selectors.events import event_get, event_list

TAG = "Events"
IDENTIFICATION_EVENT_TYPES = [value for value in Event.Type.values if value != Event.Type.WEBHOOK_TEST]
EVENT_ID_SHAPE = re.compile(r"evt_[0-9a-f]{32}")
EVENT_ID_LENGTH = len("evt_") + 32
EVENT_ID = OpenApiParameter(
    "event_id",
    {"type": "string", "pattern": f"^{EVENT_ID_SHAPE.pattern}$", "maxLength": EVENT_ID_LENGTH},
    OpenApiParameter.PATH,
    description="The event's id (`evt_...`).",
)


def parse_public_id(value: str, shape: re.Pattern, field: str) -> str:
    """A malformed id is a 400 naming the path parameter, as for identification ids; a well-formed unknown one 404."""
    if not shape.fullmatch(value):
        raise serializers.ValidationError({field: [gettext("Not an id of this kind.")]}, code="invalid")
    return value


class UUIDQueryField(StrictCharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=36, **kwargs)

    def run_validation(self, data=serializers.empty):
        # After the string's own validators (its max_length), which cannot measure a UUID object.
        value = super().run_validation(data)
        if not UUID_SHAPE.fullmatch(value):
            raise serializers.ValidationError(gettext("Must be a valid UUID."), code="invalid")
        return uuid.UUID(value)

    def json_schema(self) -> dict:
        return {"format": "uuid", "pattern": f"^{UUID_SHAPE.pattern}$"}


class EventListQuery(StrictSerializer):
    type = StrictChoiceField(choices=IDENTIFICATION_EVENT_TYPES, required=False)
    identification_id = UUIDQueryField(required=False, help_text="The identification's uuid.")
    created_after = StrictDateTimeField(required=False, help_text="Inclusive, RFC 3339 (ISO-8601 with an offset).")
    created_before = StrictDateTimeField(required=False, help_text="Exclusive, RFC 3339 (ISO-8601 with an offset).")
    limit = serializers.IntegerField(min_value=1, max_value=100, required=False, help_text="Page size, 25 by default.")
    cursor = CursorField(required=False, help_text="Opaque: from a previous page's next/previous.")

    # The same rule as the identifications list: created_before later than created_after.
    validate = IdentificationListQuery.validate


class EventAttempts(serializers.Serializer):
    used = serializers.IntegerField()
    max = serializers.IntegerField()
    processing = serializers.BooleanField()


class EventData(serializers.Serializer):
    id = serializers.UUIDField(allow_null=True, help_text="The identification's id (null for webhook.test).")
    organization = serializers.CharField()
    status = serializers.ChoiceField(choices=Identification.Status.values, required=False)
    sequence = serializers.IntegerField(help_text="Grows by one with each event of the identification.")
    attempts = EventAttempts(required=False)


class EventResponse(serializers.Serializer):
    id = serializers.CharField(help_text="`evt_...`; the `webhook-id` of its deliveries.")
    type = serializers.ChoiceField(choices=Event.Type.values)
    timestamp = serializers.DateTimeField()
    data = EventData()


class EventViewSet(APIViewSet):
    authentication_classes = [BearerAPIKeyAuthentication]
    pagination_class = NewestFirstCursorPagination
    lookup_url_kwarg = "event_id"
    lookup_value_regex = "[^/]+"

    @extend_schema(
        operation_id="listEvents",
        summary="List the organization's events, newest first",
        tags=[TAG],
        parameters=[ORG_ID, EventListQuery],
        responses={200: EventResponse(many=True), **error_responses(400, 401, 405)},
    )
    def list(self, request, org_id):
        query = EventListQuery(data={key: request.query_params[key] for key in request.query_params})
        query.is_valid(raise_exception=True)
        filters = {key: value for key, value in query.validated_data.items() if key not in ("limit", "cursor")}
        page = self.paginate_queryset(event_list(organization=request.auth.organization, **filters))
        return self.get_paginated_response([event.payload for event in page])

    @extend_schema(
        operation_id="getEvent",
        summary="Get one event",
        tags=[TAG],
        parameters=[ORG_ID, EVENT_ID],
        responses={200: EventResponse, **error_responses(400, 401, 404, 405)},
    )
    def retrieve(self, request, org_id, event_id):
        event_id = parse_public_id(event_id, EVENT_ID_SHAPE, "event_id")
        return Response(event_get(organization=request.auth.organization, event_id=event_id).payload)
