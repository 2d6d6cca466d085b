"""The one interface of the API's credentials, so that the plumbing asks the credential instead of switching on
its type: the organization's API key (authentication.APIKeyCredential) and the holder's client secret
(client_secret.HolderCredential) both implement it."""

from typing import Protocol

from identifications.actors import Actor
from identifications.models import Identification, Organization


class Credential(Protocol):
    @property
    def organization(self) -> Organization:
        """Whose request this is: idempotency keys and every read are scoped to it."""

    @property
    def actor(self) -> Actor:
        """Who the audit trail names for the transitions this credential causes."""

    @property
    def rate_limit_scope(self) -> str:
        """The budget this credential spends (throttling): never the raw secret."""

    @property
    def identification(self) -> Identification | None:
        """The one identification the credential is bound to (already loaded), or None for organization-wide ones."""

    def check_access(self, *, org_id: str, identification_id: str | None) -> None:
        """Raise AuthenticationFailed, saying why, unless it may act on `identification_id` (None: the collection)
        of the organization whose slug is `org_id`."""
