"""Errors of the case domain, each with a stable code that interfaces return."""

from __future__ import annotations


class CaseError(Exception):
    code = "case.error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class CaseNotFound(CaseError):
    """The case does not exist, or the actor may not see it (the two are not told apart)."""

    code = "case.not_found"


class CasePermissionDenied(CaseError):
    code = "case.permission_denied"


class CaseConflict(CaseError):
    """The case is not in a state that allows the action (often: someone acted first)."""

    code = "case.conflict"


class CaseInvalid(CaseError):
    """The input is incomplete or wrong (missing reason, unknown organisation, bad coordinates)."""

    code = "case.invalid"
