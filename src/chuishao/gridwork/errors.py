"""Errors of grid work, with stable codes (the pages and tests tell them apart by class)."""


class GridworkError(Exception):
    code = "gridwork.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class GridworkInvalid(GridworkError):
    code = "gridwork.invalid"


class GridworkNotFound(GridworkError):
    code = "gridwork.not_found"


class GridworkDenied(GridworkError):
    code = "gridwork.denied"


class GridworkConflict(GridworkError):
    """The state changed under the caller (a patrol already open, or ended meanwhile)."""

    code = "gridwork.conflict"
