"""Every write of the domain: the API's viewsets, the admin and the management commands call these.

- `lifecycle`: where an identification changes state (create, close, expire, score, redact): every transition
  and every audit event goes through it.
- `attempts`: the holder's validation attempts, stored for the worker (validate answers at once).
- `attempt_scoring`: the worker's side: score a stored attempt under a lease, retry an unavailable provider, record
  the transition its score earns; and the sweeper of attempts whose worker died.
- `redaction`: erasing a person's data, on request or past retention.
- `organizations`: organizations, their API keys and scoring secrets.
- `idempotency`: the store behind the `Idempotency-Key` header.
"""

from identifications.services.attempts import DeviceContext, Evidence, identification_validate
from identifications.services.lifecycle import (
    identification_close,
    identification_create,
    identification_expire_if_due,
    identifications_expire_due,
    identifications_expire_page,
)
from identifications.services.organizations import (
    api_key_issue,
    api_key_revoke,
    organization_create,
    scoring_secret_rotate,
)
from identifications.services.redaction import (
    identification_redact,
    identifications_due_for_purge,
    identifications_purge,
)

__all__ = [
    "DeviceContext",
    "Evidence",
    "api_key_issue",
    "api_key_revoke",
    "identification_close",
    "identification_create",
    "identification_expire_if_due",
    "identification_redact",
    "identification_validate",
    "identifications_due_for_purge",
    "identifications_expire_due",
    "identifications_expire_page",
    "identifications_purge",
    "organization_create",
    "scoring_secret_rotate",
]
