"""Errors of the activities app, with stable codes (the pages and tests tell them apart by class)."""


class ActivityError(Exception):
    code = "activities.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ActivityInvalid(ActivityError):
    code = "activities.invalid"


class ActivityNotFound(ActivityError):
    code = "activities.not_found"


class ActivityDenied(ActivityError):
    code = "activities.denied"


class ActivityConflict(ActivityError):
    """The state forbids it now: full, outside the window, already checked in, already closed."""

    code = "activities.conflict"
