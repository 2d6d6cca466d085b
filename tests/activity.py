"""A month of activity for the dashboard: identifications with their audit history (tests.factories'
IdentificationWithHistoryFactory), spread over organizations and days."""

import random
from datetime import timedelta

from identifications.models import Identification
from tests.factories import IdentificationWithHistoryFactory, OrganizationFactory

Status = Identification.Status


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
            IdentificationWithHistoryFactory(
                organization=orgs[index % organizations],
                created_at=created_at,
                status=status,
                ended_at=ended_at,
                expires_at=expires_at,
            )
        )
    return rows
