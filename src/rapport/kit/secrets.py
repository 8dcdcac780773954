"""Passwords (Argon2) and random tokens stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets as _secrets

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_dummy: str | None = None  # a hash of a random password, made with the current parameters (see verify_password)


def use_hash_parameters(parameters: Parameters | None) -> None:
    """Hash new passwords with these Argon2 parameters (None: the library's default, RFC 9106's low-memory profile).

    Tests pass argon2.profiles.CHEAPEST: production cost made each test's fixture spend most of a second hashing."""
    global _hasher, _dummy
    _hasher = PasswordHasher.from_parameters(parameters) if parameters else PasswordHasher()
    _dummy = None


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; never raises.

    Without a hash (an unknown account, or one with no password) it still verifies against a dummy hash made with
    the same parameters and answers False, so a caller that always calls it once takes as long either way and the
    time of a sign-in does not tell whether an account exists.
    """
    try:
        if not password_hash:
            _hasher.verify(dummy_hash(), password)
            return False
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_hash() -> str:
    """A hash no password is known for, made once with the current parameters."""
    global _dummy
    if _dummy is None:
        _dummy = _hasher.hash(_secrets.token_urlsafe(32))
    return _dummy


def new_token(prefix: str) -> str:
    """A fresh high-entropy token such as `rpt_…`."""
    return f"{prefix}_{_secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    """SHA-256 of a token: enough for 256-bit random secrets, and indexable."""
    return hashlib.sha256(token.encode()).hexdigest()
