"""Passwords (Argon2) and random tokens stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets as _secrets

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def use_hash_parameters(parameters: Parameters | None) -> None:
    """Hash new passwords with these Argon2 parameters (None: the library's default, RFC 9106's low-memory profile).

    Tests pass argon2.profiles.CHEAPEST: production cost made each test's fixture spend most of a second hashing."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(parameters) if parameters else PasswordHasher()


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; never raises."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str) -> str:
    """A fresh high-entropy token such as `rpt_…`."""
    return f"{prefix}_{_secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    """SHA-256 of a token: enough for 256-bit random secrets, and indexable."""
    return hashlib.sha256(token.encode()).hexdigest()
