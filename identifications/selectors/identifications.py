"""Reads of identifications for the API: one organization's rows, with what their responses need joined."""

from django.utils import timezone

from identifications.documents import normalise_document_number
from identifications.errors import IdentificationNotFound
from identifications.models import Identification
from identifications.services.lifecycle import identification_expire_if_due


def _with_response_relations(queryset):
    return queryset.select_related("document_type", "configuration")


def identification_get(*, organization, identification_id, now=None) -> Identification:
    """The organization's identification, persisted as EXPIRED first if it is met past its expiry."""
    identification = (
        _with_response_relations(Identification.objects.filter(organization=organization))
        .filter(pk=identification_id)
        .first()
    )
    if identification is None:
        raise IdentificationNotFound()
    return identification_expire_if_due(identification, now=now)


def identification_list(
    *, organization, status=None, created_after=None, created_before=None, document_number=None, now=None
):
    """The organization's identifications, newest first. Rows that a PENDING filter would show past their
    expiry are shown (and persisted) as EXPIRED by the caller page by page, see `expire_page`."""
    queryset = _with_response_relations(Identification.objects.filter(organization=organization))
    now = now or timezone.now()
    if status == Identification.Status.PENDING:
        queryset = queryset.filter(status=status, expires_at__gt=now)
    elif status == Identification.Status.EXPIRED:
        queryset = queryset.filter(status__in=[status, Identification.Status.PENDING]).exclude(
            status=Identification.Status.PENDING, expires_at__gt=now
        )
    elif status:
        queryset = queryset.filter(status=status)
    if created_after:
        queryset = queryset.filter(created_at__gte=created_after)
    if created_before:
        queryset = queryset.filter(created_at__lt=created_before)
    if document_number:
        queryset = queryset.filter(document_number=normalise_document_number(document_number))
    return queryset


def expire_page(identifications, *, now=None) -> list[Identification]:
    """Persist EXPIRED on the page's PENDING rows past their expiry (rare: the expiry command does most)."""
    return [identification_expire_if_due(identification, now=now) for identification in identifications]
