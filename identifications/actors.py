"""Who performs a transition, as recorded in the audit trail."""

from dataclasses import dataclass

from identifications.models import IdentificationEvent

ActorType = IdentificationEvent.ActorType


@dataclass(frozen=True)
class Actor:
    type: str
    name: str
    staff_user: object | None = None

    @classmethod
    def api_key(cls, api_key) -> "Actor":
        # The prefix identifies the key without revealing it.
        return cls(ActorType.API_KEY, api_key.prefix)

    @classmethod
    def staff(cls, user) -> "Actor":
        return cls(ActorType.STAFF, user.get_username(), staff_user=user)

    @classmethod
    def command(cls, name: str) -> "Actor":
        return cls(ActorType.COMMAND, name)

    @classmethod
    def holder(cls) -> "Actor":
        # The person, through their app's client secret.
        return cls(ActorType.HOLDER, "holder")

    @classmethod
    def system(cls) -> "Actor":
        return cls(ActorType.SYSTEM, "system")

    def event_fields(self) -> dict:
        return {"actor_type": self.type, "actor": self.name, "staff_user": self.staff_user}
