"""Password hashing with argon2id (argon2-cffi defaults), upgrading legacy hashes on login."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from werkzeug.security import check_password_hash

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both answers take about the same time.
_DUMMY_HASH = _hasher.hash("sinergi-dummy-password-for-timing")

MIN_LENGTH = 12
MAX_LENGTH = 128


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Check ``password``; return (ok, new_hash) where new_hash is set when it should be upgraded.

    Legacy Werkzeug (pbkdf2/scrypt) hashes and argon2 hashes with weaker parameters are
    accepted once and replaced by a fresh argon2id hash.
    """
    if not stored_hash:
        _burn_time(password)
        return False, None
    if stored_hash.startswith("$argon2"):
        try:
            _hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, None
        return True, hash_password(password) if _hasher.check_needs_rehash(stored_hash) else None
    if stored_hash.startswith(("pbkdf2:", "scrypt:")):
        if check_password_hash(stored_hash, password):
            return True, hash_password(password)
        return False, None
    _burn_time(password)
    return False, None


def _burn_time(password: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, password + "\x00")
    except VerificationError:
        pass


def burn_time_for_unknown_user(password: str) -> None:
    """Spend one argon2 verification so unknown e-mails answer as slowly as wrong passwords."""
    _burn_time(password)
