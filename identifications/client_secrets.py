"""The holder's credential: a random secret returned once by create, stored only as its SHA-256.

A SHA-256 (not a slow password hash) is right here: the secret has 256 bits of entropy, so it cannot be guessed,
and a fast hash lets the secret be looked up through a unique index in one query.
"""

import hashlib
import secrets

PREFIX = "idsec_"


def new_client_secret() -> tuple[str, str]:
    """(raw secret for the response, hash to store)."""
    raw = PREFIX + secrets.token_urlsafe(32)
    return raw, hash_client_secret(raw)


def hash_client_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def looks_like_client_secret(token: str) -> bool:
    return token.startswith(PREFIX)
