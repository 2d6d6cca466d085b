"""/v1/orgs/{org_id}/webhook_endpoints: where the organization receives its events. The secret is shown only in
the responses of create and rotate_secret."""

import re

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from identifications import outbound
from identifications.api.events import IDENTIFICATION_EVENT_TYPES, parse_public_id
from identifications.api.http.authentication import BearerAPIKeyAuthentication
from identifications.api.http.base import APIViewSet
from identifications.api.http.fields import StrictCharField, StrictSerializer
from identifications.api.http.pagination import NewestFirstCursorPagination
from identifications.api.http.schema import error_responses
from identifications.api.list_inputs import CursorField
from identifications.api.organization import ORG_ID, json_object_body
from identifications.api.organization_inputs import StrictChoiceField
from identifications.selectors.events import webhook_endpoint_get, webhook_endpoint_list
from identifications.services import webhooks

TAG = "Webhook endpoints"
ENDPOINT_ID_SHAPE = re.compile(r"we_[0-9a-f]{24}")
ENDPOINT_ID_LENGTH = len("we_") + 24
ENDPOINT_ID = OpenApiParameter(
    "endpoint_id",
    {"type": "string", "pattern": f"^{ENDPOINT_ID_SHAPE.pattern}$", "maxLength": ENDPOINT_ID_LENGTH},
    OpenApiParameter.PATH,
    description="The endpoint's id (`we_...`).",
)
# outbound.check_url's refusals, said in the request's language.
URL_MESSAGES = {
    "https_required": _("Must use https."),
    "private_address": _("Must not point to a loopback, private, link-local or metadata address."),
    "credentials_in_url": _("Must not carry credentials (user:password@)."),
    "too_long": _("Must be at most 2000 characters."),
    "invalid_url": _("Must be a valid URL whose host resolves."),
    "unresolvable_host": _("Must be a valid URL whose host resolves."),
}


class EndpointURLField(StrictCharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=2000, **kwargs)

    def to_internal_value(self, data):
        url = super().to_internal_value(data)
        try:
            outbound.check_url(url)
        except outbound.OutboundURLRefused as refused:
            raise serializers.ValidationError(str(URL_MESSAGES.get(refused.code, refused)), code=refused.code) from None
        return url

    def json_schema(self) -> dict:
        return {"format": "uri"}


class EventTypesField(serializers.ListField):
    def __init__(self, **kwargs):
        super().__init__(
            child=StrictChoiceField(choices=IDENTIFICATION_EVENT_TYPES),
            max_length=50,
            help_text="Event types to receive; empty or absent: all.",
            **kwargs,
        )

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError(gettext("Must be a list of event types."), code="invalid")
        # Counted as sent: the validators run on the de-duplicated list, which would let any length through.
        if len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return sorted(set(super().to_internal_value(data)))


class CreateWebhookEndpoint(StrictSerializer):
    url = EndpointURLField(help_text="https; private addresses only with WEBHOOKS_ALLOW_PRIVATE_URLS=true.")
    event_types = EventTypesField(required=False)
    description = StrictCharField(max_length=500, required=False, allow_blank=True)


class UpdateWebhookEndpoint(StrictSerializer):
    url = EndpointURLField(required=False)
    event_types = EventTypesField(required=False)
    description = StrictCharField(max_length=500, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if isinstance(value.get("enabled"), bool) and not isinstance(data.get("enabled"), bool):
            # DRF's BooleanField takes "yes", 1, "on"...: a JSON API takes true or false.
            raise serializers.ValidationError({"enabled": [gettext("Must be true or false.")]})
        return value


class WebhookEndpointListQuery(StrictSerializer):
    limit = serializers.IntegerField(min_value=1, max_value=100, required=False, help_text="Page size, 25 by default.")
    cursor = CursorField(required=False, help_text="Opaque: from a previous page's next/previous.")


class WebhookEndpointResponse(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    url = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    enabled = serializers.BooleanField()
    disabled_reason = serializers.CharField(help_text="Why the service disabled it (410, days of failures).")
    created_at = serializers.DateTimeField()


class WebhookEndpointWithSecretResponse(WebhookEndpointResponse):
    secret = serializers.CharField(help_text="`whsec_...`: shown only in this response.")


def with_secret(endpoint, secret) -> dict:
    return {**WebhookEndpointResponse(endpoint).data, "secret": secret}


class WebhookEndpointViewSet(APIViewSet):
    authentication_classes = [BearerAPIKeyAuthentication]
    pagination_class = NewestFirstCursorPagination
    lookup_url_kwarg = "endpoint_id"
    lookup_value_regex = "[^/]+"

    def _endpoint(self, request, endpoint_id):
        endpoint_id = parse_public_id(endpoint_id, ENDPOINT_ID_SHAPE, "endpoint_id")
        return webhook_endpoint_get(organization=request.auth.organization, endpoint_id=endpoint_id)

    @extend_schema(
        operation_id="createWebhookEndpoint",
        summary="Create a webhook endpoint",
        tags=[TAG],
        parameters=[ORG_ID],
        request=CreateWebhookEndpoint,
        responses={200: WebhookEndpointWithSecretResponse, **error_responses(400, 401, 405, 413, 415)},
    )
    def create(self, request, org_id):
        serializer = CreateWebhookEndpoint(data=json_object_body(request))
        serializer.is_valid(raise_exception=True)
        endpoint, secret = webhooks.webhook_endpoint_create(
            organization=request.auth.organization, **serializer.validated_data
        )
        return Response(with_secret(endpoint, secret), status=status.HTTP_200_OK)

    @extend_schema(
        operation_id="listWebhookEndpoints",
        summary="List webhook endpoints, newest first",
        tags=[TAG],
        parameters=[ORG_ID, WebhookEndpointListQuery],
        responses={200: WebhookEndpointResponse(many=True), **error_responses(400, 401, 405)},
    )
    def list(self, request, org_id):
        WebhookEndpointListQuery(data={key: request.query_params[key] for key in request.query_params}).is_valid(
            raise_exception=True
        )
        page = self.paginate_queryset(webhook_endpoint_list(organization=request.auth.organization))
        return self.get_paginated_response(WebhookEndpointResponse(page, many=True).data)

    @extend_schema(
        operation_id="getWebhookEndpoint",
        summary="Get a webhook endpoint",
        tags=[TAG],
        parameters=[ORG_ID, ENDPOINT_ID],
        responses={200: WebhookEndpointResponse, **error_responses(400, 401, 404, 405)},
    )
    def retrieve(self, request, org_id, endpoint_id):
        return Response(WebhookEndpointResponse(self._endpoint(request, endpoint_id)).data)

    @extend_schema(
        operation_id="updateWebhookEndpoint",
        summary="Change a webhook endpoint",
        tags=[TAG],
        parameters=[ORG_ID, ENDPOINT_ID],
        request=UpdateWebhookEndpoint,
        responses={200: WebhookEndpointResponse, **error_responses(400, 401, 404, 405, 413, 415)},
    )
    def partial_update(self, request, org_id, endpoint_id):
        serializer = UpdateWebhookEndpoint(data=json_object_body(request))
        serializer.is_valid(raise_exception=True)
        endpoint = self._endpoint(request, endpoint_id)
        endpoint = webhooks.webhook_endpoint_update(endpoint=endpoint, **serializer.validated_data)
        return Response(WebhookEndpointResponse(endpoint).data)

    @extend_schema(
        operation_id="deleteWebhookEndpoint",
        summary="Delete a webhook endpoint",
        tags=[TAG],
        parameters=[ORG_ID, ENDPOINT_ID],
        responses={204: OpenApiResponse(description="Deleted."), **error_responses(400, 401, 404, 405)},
    )
    def destroy(self, request, org_id, endpoint_id):
        webhooks.webhook_endpoint_delete(endpoint=self._endpoint(request, endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="rotateWebhookEndpointSecret",
        summary="Rotate a webhook endpoint's secret (the old one keeps signing for 24 hours)",
        tags=[TAG],
        parameters=[ORG_ID, ENDPOINT_ID],
        request=None,
        responses={200: WebhookEndpointWithSecretResponse, **error_responses(400, 401, 404, 405)},
    )
    @action(detail=True, methods=["post"])
    def rotate_secret(self, request, org_id, endpoint_id):
        endpoint = self._endpoint(request, endpoint_id)
        secret = webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint)
        return Response(with_secret(endpoint, secret))

    @extend_schema(
        operation_id="testWebhookEndpoint",
        summary="Send a webhook.test event to the endpoint",
        tags=[TAG],
        parameters=[ORG_ID, ENDPOINT_ID],
        request=None,
        responses={204: OpenApiResponse(description="Queued for delivery."), **error_responses(400, 401, 404, 405)},
    )
    @action(detail=True, methods=["post"])
    def test(self, request, org_id, endpoint_id):
        webhooks.webhook_endpoint_send_test(endpoint=self._endpoint(request, endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
