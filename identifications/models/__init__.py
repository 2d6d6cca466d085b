from identifications.models.document_type import DocumentType
from identifications.models.events import Event
from identifications.models.idempotency import IdempotencyRecord
from identifications.models.identification import Identification, IdentificationEvent
from identifications.models.organization import Organization, OrganizationAPIKey
from identifications.models.ratelimit import RateLimitCounter
from identifications.models.webhooks import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint

__all__ = [
    "DocumentType",
    "Event",
    "IdempotencyRecord",
    "Identification",
    "IdentificationEvent",
    "Organization",
    "OrganizationAPIKey",
    "RateLimitCounter",
    "WebhookDelivery",
    "WebhookDeliveryAttempt",
    "WebhookEndpoint",
]
