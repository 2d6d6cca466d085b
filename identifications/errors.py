"""Domain errors: raised by services, turned into ErrorsResponse bodies by the API's one exception handler."""


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
        super().__init__("No identification with this id exists in this organization.")


class IdentificationNotOpen(DomainError):
    status_code = 409
    code = "identification_not_open"

    def __init__(self, status: str):
        super().__init__(f"The identification is {status}, not PENDING; only a PENDING identification can change.")
        self.status = status
