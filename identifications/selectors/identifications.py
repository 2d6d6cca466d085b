"""Reads of identifications for the API: one organization's rows, with what their responses need joined."""

from django.utils import timezone

from identifications.documents import normalise_document_number
from identifications.errors import IdentificationNotFound
from identifications.models import Identification


def _with_response_relations(queryset):
    return queryset.select_related("document_type", "configuration")


def identification_get(*, organization, identification_id) -> Identification:
    """The organization's identification as stored (the view persists a due expiry with
    `services.identification_expire_if_due`)."""
    return _get(_with_response_relations(Identification.objects.filter(organization=organization)), identification_id)


def identification_get_for_validation(*, organization, identification_id) -> Identification:
    """The organization's identification, its own row only: validate answers 204 with no body, so it needs neither
    the document type nor the configuration that `identification_get` joins for responses (joining them costs
    about 0.3 ms of the request's CPU in the ORM alone)."""
    return _get(Identification.objects.filter(organization=organization), identification_id)


def _get(queryset, identification_id) -> Identification:
    # get(), not first(): by primary key there is one row or none, and first() would compile and send the model's
    # ORDER BY (created_at, id) for nothing, a measurable part of retrieve's CPU (bench/NOTES.md).
    try:
        return queryset.get(pk=identification_id)
    except Identification.DoesNotExist:
        raise IdentificationNotFound() from None


def identification_list(
    *, organization, status=None, created_after=None, created_before=None, document_number=None, now=None
):
    """The organization's identifications, newest first, filtered by their status as of `now` (a PENDING row past
    its expiry counts as EXPIRED). The view persists that expiry page by page, see
    `services.identifications_expire_page`."""
    queryset = _with_response_relations(Identification.objects.filter(organization=organization))
    if status:
        queryset = queryset.in_current_status(status, now or timezone.now())
    if created_after:
        queryset = queryset.filter(created_at__gte=created_after)
    if created_before:
        queryset = queryset.filter(created_at__lt=created_before)
    if document_number:
        queryset = queryset.filter(document_number=normalise_document_number(document_number))
    return queryset
