"""Encryption at rest for what the service must read back in clear (idempotent replays, webhook signing secrets).

One Fernet key per SECRET_KEY (and each of SECRET_KEY_FALLBACKS), derived like Django's own signing keys and
separated by purpose: the newest key encrypts, the fallbacks still decrypt, so rotating SECRET_KEY loses nothing.
"""

import base64

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac


def fernet_for(key_salt: str, purpose: str) -> MultiFernet:
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    digests = [salted_hmac(key_salt, purpose, secret=secret, algorithm="sha256").digest() for secret in secrets]
    return MultiFernet([Fernet(base64.urlsafe_b64encode(digest)) for digest in digests])
