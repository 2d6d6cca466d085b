from django.utils.translation import gettext
from rest_framework import serializers

from identifications.api.http.fields import StrictCharField, StrictDateTimeField, StrictSerializer
from identifications.api.organization_inputs import StrictChoiceField
from identifications.models import Identification


class CursorField(StrictCharField):
    """The pagination cursor: base64 of what NewestFirstCursorPagination writes (under 100 characters); the
    decoder refuses anything else. Bounded so that the OpenAPI document's query strings fit the server's request
    line (tests/api/test_schema_request_line.py)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=200, **kwargs)

    def json_schema(self) -> dict:
        return {"pattern": r"^[A-Za-z0-9+/]+={0,2}$"}


class IdentificationListQuery(StrictSerializer):
    status = StrictChoiceField(choices=Identification.Status.values, required=False)
    created_after = StrictDateTimeField(required=False, help_text="Inclusive, RFC 3339 (ISO-8601 with an offset).")
    created_before = StrictDateTimeField(
        required=False, help_text="Exclusive, RFC 3339 (ISO-8601 with an offset); later than created_after."
    )
    document_number = StrictCharField(max_length=40, required=False, help_text="Exact, after normalisation.")
    limit = serializers.IntegerField(min_value=1, max_value=100, required=False, help_text="Page size, 25 by default.")
    cursor = CursorField(required=False, help_text="Opaque: from a previous page's next/previous.")

    def validate(self, attrs):
        after, before = attrs.get("created_after"), attrs.get("created_before")
        if after and before and after >= before:
            raise serializers.ValidationError({"created_before": gettext("Must be later than created_after.")})
        return attrs
