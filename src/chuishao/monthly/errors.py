"""Errors of the monthly app, with stable codes (the pages and tests tell them apart by class)."""


class MonthlyError(Exception):
    code = "monthly.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MonthlyInvalid(MonthlyError):
    code = "monthly.invalid"


class MonthlyNotFound(MonthlyError):
    code = "monthly.not_found"


class MonthlyDenied(MonthlyError):
    code = "monthly.denied"


class MonthlyConflict(MonthlyError):
    """The state changed under the caller (a task already done, the same problem already taken on)."""

    code = "monthly.conflict"
