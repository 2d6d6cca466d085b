"""Identifications with the audit history a real one would have, at times the test chooses.

The dashboard counts identifications by their created_at and status, and transitions by their events; these
helpers keep the two consistent the way the services do (a creation event, then one event per transition).
"""

import random
from datetime import timedelta

from identifications.models import Identification, IdentificationEvent
from tests.factories import IdentificationFactory, OrganizationFactory

Status = Identification.Status


def identification_with_history(*, organization, created_at, status=Status.PENDING, ended_at=None, **fields):
    """An identification created at `created_at` that reached `status` at `ended_at` (default: a minute later)."""
    ended_at = ended_at or created_at + timedelta(minutes=1)
    fields.setdefault("expires_at", ended_at if status == Status.EXPIRED else created_at + timedelta(days=7))
    identification = IdentificationFactory(
        organization=organization,
        status=status,
        created_at=created_at,
        updated_at=created_at if status == Status.PENDING else ended_at,
        closed_at=ended_at if status == Status.CLOSED else None,
        **fields,
    )
    events = [
        IdentificationEvent(
            identification=identification,
            from_status=None,
            to_status=Status.PENDING,
            actor_type=IdentificationEvent.ActorType.API_KEY,
            actor="test1234",
            created_at=created_at,
        )
    ]
    if status != Status.PENDING:
        events.append(
            IdentificationEvent(
                identification=identification,
                from_status=Status.PENDING,
                to_status=status,
                actor_type=IdentificationEvent.ActorType.SYSTEM,
                actor="system",
                created_at=ended_at,
            )
        )
    IdentificationEvent.objects.bulk_create(events)
    return identification


def spread_activity(*, now, identifications: int, organizations: int, days: int = 30, seed: int = 6):
    """`identifications` spread over `organizations` (org-00, org-01, ...) and the last `days` days, every status
    represented; the same arguments always give the same rows."""
    rng = random.Random(seed)
    orgs = [
        OrganizationFactory(slug=f"org-{index:02d}", name=f"Organization {index:02d}") for index in range(organizations)
    ]
    outcomes = [Status.PENDING, Status.VERIFIED, Status.VERIFIED, Status.REJECTED, Status.CLOSED, Status.EXPIRED]
    rows = []
    for index in range(identifications):
        created_at = now - timedelta(minutes=rng.randrange(1, days * 24 * 60))
        status = outcomes[index % len(outcomes)]
        ended_at = min(created_at + timedelta(minutes=rng.randrange(1, 600)), now)
        expires_at = ended_at if status == Status.EXPIRED else created_at + timedelta(days=days + 1)
        rows.append(
            identification_with_history(
                organization=orgs[index % organizations],
                created_at=created_at,
                status=status,
                ended_at=ended_at,
                expires_at=expires_at,
            )
        )
    return rows
