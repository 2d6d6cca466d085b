from identifications.models.document_type import DocumentType
from identifications.models.idempotency import IdempotencyRecord
from identifications.models.identification import Identification, IdentificationEvent
from identifications.models.organization import Organization, OrganizationAPIKey

__all__ = [
    "DocumentType",
    "IdempotencyRecord",
    "Identification",
    "IdentificationEvent",
    "Organization",
    "OrganizationAPIKey",
]
