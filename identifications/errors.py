"""Domain errors: raised by services, turned into ErrorsResponse bodies by the API's one exception handler.

Messages are translated when the error is raised, into the request's language (LocaleMiddleware activates it).
"""

from django.utils.translation import gettext


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class IdentificationNotFound(DomainError):
    status_code = 404
    code = "not_found"

    def __init__(self):
        super().__init__(gettext("No identification with this id exists in this organization."))


class IdentificationNotOpen(DomainError):
    status_code = 409
    code = "identification_not_open"

    def __init__(self, status: str):
        super().__init__(
            gettext("The identification is %(status)s, not PENDING; only a PENDING identification can change.")
            % {"status": status}
        )
        self.status = status


class ScoringURLMissing(DomainError):
    """EXTERNAL scoring asked of an organization that has no scoring URL: it would fail at the first validation."""

    code = "invalid"

    def __init__(self, *, field: str):
        super().__init__(gettext("EXTERNAL scoring needs the organization's scoring URL; ask its staff."), field=field)


class NoDefaultConfiguration(DomainError):
    """No configuration named and the organization's default is gone (staff deleted it)."""

    code = "required"

    def __init__(self, *, field: str):
        super().__init__(gettext("This organization has no default configuration; name one."), field=field)


class EventNotFound(DomainError):
    status_code = 404
    code = "not_found"

    def __init__(self):
        super().__init__(gettext("No event with this id exists in this organization."))


class WebhookEndpointNotFound(DomainError):
    status_code = 404
    code = "not_found"

    def __init__(self):
        super().__init__(gettext("No webhook endpoint with this id exists in this organization."))


class AttemptInProgress(DomainError):
    """Validate while the previous attempt is still being scored: one attempt at a time."""

    status_code = 409
    code = "attempt_in_progress"

    def __init__(self):
        super().__init__(
            gettext("The previous attempt is still being scored; read the identification for its outcome.")
        )
