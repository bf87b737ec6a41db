"""Errors of the notifications app, with stable codes that interfaces return."""

from __future__ import annotations


class NotifyError(Exception):
    code = "notify.error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotifyPermissionDenied(NotifyError):
    code = "notify.permission_denied"


class NotifyInvalid(NotifyError):
    code = "notify.invalid"
