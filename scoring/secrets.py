"""Each organization's secret for signing EXTERNAL scoring requests.

It is derived from SECRET_KEY, the organization and a version number, so no secret is stored in the database:
staff reveal it in the admin to configure their scoring service, and rotate it by bumping the version.
"""

import hashlib
import hmac

from django.conf import settings


def scoring_signing_secret(organization) -> bytes:
    message = f"scoring-signing-secret:{organization.pk}:{organization.scoring_secret_version}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest().encode()
