"""Errors of dual reporting, with stable codes (the pages and tests tell them apart by class)."""


class EngagementError(Exception):
    code = "engagement.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EngagementInvalid(EngagementError):
    code = "engagement.invalid"


class EngagementNotFound(EngagementError):
    code = "engagement.not_found"


class EngagementDenied(EngagementError):
    code = "engagement.denied"


class EngagementConflict(EngagementError):
    """The state changed under the caller (a task filled up, a claim was already confirmed)."""

    code = "engagement.conflict"
