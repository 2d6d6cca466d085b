import re

# The parser behind re.compile: the width of what a pattern can match, and its shape.
from re import _constants, _parser

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from scoring.national_numbers import NUMBER_VALIDATORS, normalise_number

# Identification.document_number's max_length: a pattern must not accept a number the column cannot hold.
MAX_DOCUMENT_NUMBER_LENGTH = 20
_REPEATS = (_constants.MAX_REPEAT, _constants.MIN_REPEAT, getattr(_constants, "POSSESSIVE_REPEAT", None))


def _has_nested_repetition(items, inside_repeat: bool = False) -> bool:
    """True when a quantifier applies to something that itself repeats or branches, e.g. ``(a+)+`` or
    ``(a|ab)*``: the shapes that backtrack exponentially. Alternatives of single characters are a class by then
    (``(A|B){2}`` parses as ``[AB]{2}``), so ordinary document formats pass."""
    for op, av in items:
        if op in _REPEATS:
            if inside_repeat:
                return True
            if _has_nested_repetition(av[2], inside_repeat=True):
                return True
        elif op is _constants.BRANCH:
            if inside_repeat or any(_has_nested_repetition(branch, inside_repeat) for branch in av[1]):
                return True
        elif op is _constants.SUBPATTERN:
            if _has_nested_repetition(av[-1], inside_repeat):
                return True
        elif op in (_constants.ASSERT, _constants.ASSERT_NOT):
            if _has_nested_repetition(av[1], inside_repeat):
                return True
        elif op in (_constants.GROUPREF, _constants.GROUPREF_EXISTS):
            return True  # back-references: matching them can backtrack without bound
    return False


def validate_regex(value):
    """A document-number pattern: compiles, matches nothing longer than the column, cannot backtrack for ever."""
    try:
        re.compile(value)
        parsed = _parser.parse(value)
    except re.error as error:
        raise ValidationError(gettext("Not a valid regular expression: %(error)s.") % {"error": error}) from error
    if parsed.getwidth()[1] > MAX_DOCUMENT_NUMBER_LENGTH:
        raise ValidationError(
            gettext(
                "The pattern must not match numbers longer than %(limit)d characters (a bounded repetition such as "
                "{3,20} instead of + or *)."
            )
            % {"limit": MAX_DOCUMENT_NUMBER_LENGTH},
            code="too_long",
        )
    if _has_nested_repetition(parsed.data):
        raise ValidationError(
            gettext(
                "The pattern must not repeat a group that itself repeats, alternates or refers back, such as (a+)+ "
                "or (a|ab)*: matching it can take exponential time."
            ),
            code="catastrophic_backtracking",
        )


# The admin's labels for scoring.national_numbers' validators (a test keeps both lists in step).
NUMBER_VALIDATOR_LABELS = {
    "es.dni": _("Spain: DNI (es.dni)"),
    "es.nie": _("Spain: NIE (es.nie)"),
    "pt.cc": _("Portugal: Cartão de Cidadão (pt.cc)"),
    "it.codicefiscale": _("Italy: codice fiscale (it.codicefiscale)"),
    "be.nn": _("Belgium: national number (be.nn)"),
    "nl.bsn": _("Netherlands: BSN (nl.bsn)"),
    "pl.pesel": _("Poland: PESEL (pl.pesel)"),
    "se.personnummer": _("Sweden: personnummer (se.personnummer)"),
    "no.fodselsnummer": _("Norway: fødselsnummer (no.fodselsnummer)"),
    "dk.cpr": _("Denmark: CPR (dk.cpr)"),
    "ee.ik": _("Estonia: isikukood (ee.ik)"),
    "lt.asmens": _("Lithuania: asmens kodas (lt.asmens)"),
    "ro.cnp": _("Romania: CNP (ro.cnp)"),
    "bg.egn": _("Bulgaria: EGN (bg.egn)"),
    "cz.rc": _("Czechia: rodné číslo (cz.rc)"),
    "sk.rc": _("Slovakia: rodné číslo (sk.rc)"),
    "si.emso": _("Slovenia: EMŠO (si.emso)"),
    "hr.oib": _("Croatia: OIB (hr.oib)"),
}
NUMBER_VALIDATOR_CHOICES = [(name, NUMBER_VALIDATOR_LABELS.get(name, name)) for name in NUMBER_VALIDATORS]


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
    number_validator = models.CharField(
        _("number validator"),
        max_length=30,
        blank=True,
        choices=NUMBER_VALIDATOR_CHOICES,
        help_text=_(
            "The national identity number rule (python-stdnum) whose control character the document_control_character "
            "check verifies, and whose birth date and sex are compared with the MRZ; empty when numbers of this type "
            "carry no control character (passports)."
        ),
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

    def normalise_number(self, value: str) -> str:
        """How a number of this type is stored: the validator's compact form (Belgium's dots and the Czech slash go
        too), without spaces or hyphens, upper case."""
        return normalise_number(value, self.number_validator or None)

    def number_matches(self, number: str) -> bool:
        return re.fullmatch(self.number_pattern, number) is not None
