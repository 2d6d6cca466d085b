import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


def validate_regex(value):
    try:
        re.compile(value)
    except re.error as error:
        raise ValidationError(gettext("Not a valid regular expression: %(error)s.") % {"error": error}) from error


class DocumentType(models.Model):
    """A kind of identity document accepted by the API (NIF, NIE, PASSPORT, ...).

    The API's allowed `document_type` values are the codes of the active rows.
    """

    code = models.CharField(
        _("code"), max_length=20, unique=True, help_text=_("Value of identity_document.document_type.")
    )
    label = models.CharField(_("label"), max_length=100)
    number_pattern = models.CharField(
        _("number pattern"),
        max_length=200,
        validators=[validate_regex],
        help_text=_("Regular expression the normalised document number must match in full."),
    )
    country = CountryField(
        _("country"),
        blank=True,
        help_text=_("Issuing country when the document is national; empty when any country issues it."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("document type")
        verbose_name_plural = _("document types")

    def __str__(self):
        return self.code

    def number_matches(self, number: str) -> bool:
        return re.fullmatch(self.number_pattern, number) is not None
