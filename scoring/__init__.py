"""Scoring: configurations (what it takes to pass), the attempts' rows, the INTERNAL checks (MRZ, names, control
characters) and the EXTERNAL client with its signing.

Direction of dependency: identifications depends on scoring, not the other way round. identifications' services,
selectors, API inputs, admin and models import scoring (Configuration, Provider, ScoringAttempt, the providers
and their Outcome); scoring imports no identifications service, selector, API or admin module. It touches the
identifications app in exactly two places, both deliberate:

- ScoringAttempt.identification, a foreign key to "identifications.Identification" named by string (so scoring's
  migrations depend on identifications' ones); the models stay where their migrations put them;
- identifications.documents.normalise_document_number, a pure function with no Django imports, so that scoring
  compares document numbers exactly as they are stored (scoring.national_numbers adds a document type's stdnum
  compact form, the same way identifications' DocumentType stores its numbers).

The document type's number validator reaches scoring by name, in ``Declared.number_validator``: scoring never reads
a DocumentType row.

State changes caused by a score (VERIFIED, REJECTED, the attempt counter) are identifications' business:
identifications/services/attempts.py asks a provider for an Outcome and records it; scoring never writes an
identification.
"""
