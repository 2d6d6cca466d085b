"""Shapes of the API's bodies. Validation of the shape lives here; every state change lives in services."""

from datetime import timedelta

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from identifications.api.http.fields import CountryCodeField, DurationField, StrictCharField, StrictSerializer
from identifications.models import Identification, IdentificationEvent
from identifications.selectors import reference
from scoring.models import Provider

MAX_EXPIRES_IN = timedelta(days=30)
MIN_EXPIRES_IN = timedelta(minutes=1)
DEFAULT_EXPIRES_IN = timedelta(days=30)


def invalid_choice(value, allowed) -> serializers.ValidationError:
    return serializers.ValidationError(
        gettext('"%(value)s" is not a valid choice. Allowed values: %(allowed)s.')
        % {"value": value, "allowed": ", ".join(allowed)},
        code="invalid_choice",
    )


class ChoiceOfField(StrictCharField):
    """Exact-case choice among values known only at request time (active rows of a reference table).

    `documented` are the seeded values, the OpenAPI enum: the document is generated without reading the database.
    """

    def __init__(self, *, allowed, documented, **kwargs):
        self.allowed = allowed
        self.documented = documented
        # Exactly the value: " NIF" is no more a choice than "nif".
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def json_schema(self) -> dict:
        return {"enum": list(self.documented)}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        allowed = list(self.allowed())
        if value not in allowed:
            raise invalid_choice(value, allowed)
        return value


class StrictChoiceField(serializers.ChoiceField):
    default_error_messages = {"invalid_choice": _('"{input}" is not a valid choice. Allowed values: {allowed}.')}

    def to_internal_value(self, data):
        if not isinstance(data, str) or data not in self.choices:
            self.fail("invalid_choice", input=data, allowed=", ".join(self.choices))
        return data


# COMPONENT_SPLIT_REQUEST appends "Request" to the component name.
@extend_schema_serializer(component_name="IdentityDocument")
class IdentityDocumentInput(StrictSerializer):
    document_number = StrictCharField(
        max_length=40,
        help_text="Spaces and hyphens (and a national number's own separators, such as dots) are removed and letters "
        "upper-cased before validation.",
    )
    document_type = ChoiceOfField(
        allowed=lambda: sorted(reference.active_document_types()),
        documented=("NIE", "NIF", "PASSPORT"),
        max_length=20,
        help_text="One of the active document types: NIF, NIE, PASSPORT.",
    )
    country = CountryCodeField(
        required=False, allow_null=True, help_text="ISO 3166-1 alpha-2; ES by default for NIF and NIE."
    )

    def validate(self, attrs):
        document_type = reference.active_document_types()[attrs["document_type"]]
        number = document_type.normalise_number(attrs["document_number"])
        if not document_type.number_matches(number):
            raise serializers.ValidationError(
                {
                    "document_number": gettext("Does not match the %(type)s format %(pattern)s.")
                    % {"type": document_type.code, "pattern": document_type.number_pattern}
                }
            )
        country = attrs.get("country")
        issuing = document_type.country.code or None
        if issuing and country and country != issuing:
            raise serializers.ValidationError(
                {
                    "country": gettext("A %(type)s is issued by %(issuing)s; got %(country)s.")
                    % {"type": document_type.code, "issuing": issuing, "country": country}
                }
            )
        return {
            "document_type": document_type,
            "document_number": number,
            "document_country": country or issuing,
        }


@extend_schema_serializer(component_name="Scoring")
class ScoringInput(StrictSerializer):
    provider = StrictChoiceField(choices=Provider.values, required=False, default=Provider.INTERNAL)


@extend_schema_serializer(component_name="CreateIdentityDocumentIdentification")
class CreateIdentityDocumentIdentificationRequest(StrictSerializer):
    name = StrictCharField(max_length=150, required=False, allow_null=True, allow_blank=True)
    last_name = StrictCharField(max_length=150, required=False, allow_null=True, allow_blank=True)
    identity_document = IdentityDocumentInput(required=False, allow_null=True)
    configuration_name = ChoiceOfField(
        allowed=lambda: list(reference.configurations()),
        documented=("LOW", "MEDIUM", "HIGH"),
        max_length=20,
        required=False,
        help_text="LOW, MEDIUM or HIGH; the organization's default (MEDIUM unless set) when absent.",
    )
    expires_in = DurationField(
        required=False,
        minimum=MIN_EXPIRES_IN,
        maximum=MAX_EXPIRES_IN,
        minimum_label=_("1 minute (PT1M)"),
        maximum_label=_("30 days (P30D)"),
        help_text="ISO-8601 duration from now, between PT1M and P30D; P30D when absent.",
    )
    scoring = ScoringInput(required=False, allow_null=True)

    def validate(self, attrs):
        # The organization's rules (its default configuration, EXTERNAL needing its scoring URL) are the create
        # service's: this only resolves names to rows.
        name = attrs.get("configuration_name")
        configuration = reference.configurations()[name] if name else None
        provider = (attrs.get("scoring") or {}).get("provider", Provider.INTERNAL)
        document = attrs.get("identity_document") or {}
        return {
            "name": attrs.get("name"),
            "last_name": attrs.get("last_name"),
            "document_type": document.get("document_type"),
            "document_number": document.get("document_number"),
            "document_country": document.get("document_country"),
            "configuration": configuration,
            "scoring_provider": provider,
            "expires_in": attrs.get("expires_in", DEFAULT_EXPIRES_IN),
        }


def audit_reason_field(help_text: str) -> StrictCharField:
    """The optional free-text reason of a close or redact: it ends up in the audit event, hence its limit."""
    return StrictCharField(
        max_length=IdentificationEvent._meta.get_field("reason").max_length,
        required=False,
        allow_blank=True,
        allow_line_breaks=True,
        help_text=help_text,
    )


@extend_schema_serializer(component_name="CloseIdentityDocumentIdentification")
class CloseIdentityDocumentIdentificationRequest(StrictSerializer):
    reason = audit_reason_field("Kept in the audit trail.")


@extend_schema_serializer(component_name="RedactIdentityDocumentIdentification")
class RedactIdentityDocumentIdentificationRequest(StrictSerializer):
    reason = audit_reason_field("Why the data is erased (e.g. the person's erasure request); kept in the audit trail.")


class IdentityDocumentOutput(serializers.Serializer):
    document_number = serializers.CharField()
    document_type = serializers.CharField()
    country = serializers.CharField(allow_null=True)


class StoredIdentityDocumentOutput(IdentityDocumentOutput):
    # Get and list show stored identifications, whose number is erased by a redaction (type and country stay).
    document_number = serializers.CharField(allow_null=True, help_text="null once the personal data is redacted.")


class ScoringOutput(serializers.Serializer):
    provider = serializers.ChoiceField(choices=Provider.values)


# One unbound field for every timestamp of a response: its to_representation (the API's DATETIME_FORMAT in the
# current time zone) depends on no parent, so one instance serves every call.
_TIMESTAMP = serializers.DateTimeField()


def _timestamp(value) -> str | None:
    return None if value is None else _TIMESTAMP.to_representation(value)


def _text(value) -> str | None:
    return None if value is None else str(value)


# The declared fields of the responses below are the OpenAPI document's; their `to_representation` is written out
# by hand because it runs for every create, retrieve and list row: DRF builds each serializer instance's fields by
# deep-copying the declared ones and then walks them one by one, about a tenth of a retrieve's CPU for a dozen keys
# (bench/NOTES.md, "The create path"). The output is the fields' own, key for key and in their order:
# tests/api/test_response_representation.py compares the two. (A docstring would become the schema's description.)
class IdentificationOutput(serializers.Serializer):
    """The fields every identification response shares."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Identification.Status.values)
    name = serializers.CharField(allow_null=True)
    last_name = serializers.CharField(allow_null=True)
    identity_document = serializers.SerializerMethodField()
    configuration_name = serializers.CharField(source="configuration.name")
    scoring = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()

    def to_representation(self, identification):
        return {
            "id": str(identification.id),
            "status": str(identification.status),
            "name": _text(identification.name),
            "last_name": _text(identification.last_name),
            "identity_document": self.get_identity_document(identification),
            "configuration_name": str(identification.configuration.name),
            "scoring": self.get_scoring(identification),
            "created_at": _timestamp(identification.created_at),
            "expires_at": _timestamp(identification.expires_at),
        }

    @extend_schema_field(IdentityDocumentOutput(allow_null=True))
    def get_identity_document(self, identification):
        if identification.document_type_id is None:
            return None
        return {
            "document_number": identification.document_number,
            "document_type": identification.document_type.code,
            # CountryField gives a Country (empty when unset) on loaded rows, the assigned value on new ones.
            "country": str(identification.document_country or "") or None,
        }

    @extend_schema_field(ScoringOutput)
    def get_scoring(self, identification):
        return {"provider": identification.scoring_provider}


class CreateIdentityDocumentIdentificationResponse(IdentificationOutput):
    client_secret = serializers.CharField(
        help_text="Shown once: lets the person's app read and validate this identification until it expires."
    )

    def to_representation(self, identification):
        return {**super().to_representation(identification), "client_secret": str(identification.client_secret)}


class AttemptsOutput(serializers.Serializer):
    used = serializers.IntegerField(min_value=0)
    max = serializers.IntegerField(min_value=1)
    processing = serializers.BooleanField(
        help_text="An attempt is stored and being scored: status stays PENDING and validate answers 409 "
        "attempt_in_progress until its outcome is recorded."
    )


class CheckOutput(serializers.Serializer):
    name = serializers.CharField()
    passed = serializers.BooleanField()
    weight = serializers.IntegerField(min_value=0, max_value=100)
    reason = serializers.CharField(allow_blank=True)


class ResultOutput(serializers.Serializer):
    score = serializers.IntegerField(min_value=0, max_value=100)
    passed = serializers.BooleanField()
    checks = CheckOutput(many=True)


@extend_schema_serializer(component_name="IdentityDocumentIdentification")
class IdentityDocumentIdentificationResponse(IdentificationOutput):
    attempts = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    close_reason = serializers.SerializerMethodField()
    redacted_at = serializers.DateTimeField(
        allow_null=True, help_text="When the personal data (names, document number, evidence) was erased."
    )

    def to_representation(self, identification):
        return {
            **super().to_representation(identification),
            "attempts": self.get_attempts(identification),
            "result": self.get_result(identification),
            "updated_at": _timestamp(identification.updated_at),
            "closed_at": _timestamp(identification.closed_at),
            "close_reason": self.get_close_reason(identification),
            "redacted_at": _timestamp(identification.redacted_at),
        }

    @extend_schema_field(StoredIdentityDocumentOutput(allow_null=True))
    def get_identity_document(self, identification):
        return super().get_identity_document(identification)

    @extend_schema_field(AttemptsOutput)
    def get_attempts(self, identification):
        return {
            "used": identification.attempts_used,
            "max": identification.configuration.maximum_attempts,
            "processing": identification.attempt_processing,
        }

    @extend_schema_field(ResultOutput(allow_null=True))
    def get_result(self, identification):
        return identification.result

    @extend_schema_field(
        serializers.CharField(allow_null=True, help_text="The organization's reason; always null for the holder.")
    )
    def get_close_reason(self, identification):
        # API.md: the holder never sees the organization's free-text close reason (it may concern them).
        if self.context.get("for_holder") or identification.status != Identification.Status.CLOSED:
            return None
        return identification.close_reason


class Error(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. invalid_choice.")
    message = serializers.CharField(help_text="One human sentence saying what is wrong.")
    field = serializers.CharField(required=False, help_text="Dotted path of the offending input field.")


class ErrorsResponse(serializers.Serializer):
    errors = Error(many=True)
