import re

from django.core.exceptions import ValidationError
from django.db import models
from django_countries.fields import CountryField


def validate_regex(value):
    try:
        re.compile(value)
    except re.error as error:
        raise ValidationError(f"Not a valid regular expression: {error}.") from error


class DocumentType(models.Model):
    """A kind of identity document accepted by the API (NIF, NIE, PASSPORT, ...).

    The API's allowed `document_type` values are the codes of the active rows.
    """

    code = models.CharField(max_length=20, unique=True, help_text="Value of identity_document.document_type.")
    label = models.CharField(max_length=100)
    number_pattern = models.CharField(
        max_length=200,
        validators=[validate_regex],
        help_text="Regular expression the normalised document number must match in full.",
    )
    country = CountryField(
        blank=True,
        help_text="Issuing country when the document is national; empty when any country issues it.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.code

    def number_matches(self, number: str) -> bool:
        return re.fullmatch(self.number_pattern, number) is not None
