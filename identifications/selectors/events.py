"""Reads of events and webhook endpoints for the API: always within one organization."""

from identifications.errors import EventNotFound, WebhookEndpointNotFound
from identifications.models import Event, WebhookEndpoint


def event_list(*, organization, type=None, identification_id=None, created_after=None, created_before=None):
    """The organization's identification events (test events are not listed), newest first."""
    events = Event.objects.filter(organization=organization, identification__isnull=False)
    if type:
        events = events.filter(type=type)
    if identification_id:
        events = events.filter(identification_id=identification_id)
    if created_after:
        events = events.filter(created_at__gte=created_after)
    if created_before:
        events = events.filter(created_at__lt=created_before)
    return events.only("public_id", "payload", "created_at")


def event_get(*, organization, event_id: str) -> Event:
    event = event_list(organization=organization).filter(public_id=event_id).first()
    if event is None:
        raise EventNotFound()
    return event


def webhook_endpoint_list(*, organization):
    return WebhookEndpoint.objects.filter(organization=organization)


def webhook_endpoint_get(*, organization, endpoint_id: str) -> WebhookEndpoint:
    endpoint = webhook_endpoint_list(organization=organization).filter(public_id=endpoint_id).first()
    if endpoint is None:
        raise WebhookEndpointNotFound()
    return endpoint
