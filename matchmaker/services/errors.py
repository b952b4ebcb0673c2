"""The domain error vocabulary. Services raise these; the web layer maps them to HTTP once."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose. ``message`` is user-facing."""

    status_code = 400

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    """The record changed under the caller (stale version, lost race, duplicate)."""

    status_code = 409


class InvalidTransition(Conflict):
    """The requested state change is not allowed from the current state."""


class Gone(DomainError):
    """The thing existed but is no longer usable (an expired or already used link)."""

    status_code = 410


class ValidationFailed(DomainError):
    """Input broke a rule the forms could not check alone."""

    status_code = 422
