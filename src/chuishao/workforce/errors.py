"""Errors of the workforce app, with stable codes (pages and tests tell them apart by class)."""


class WorkforceError(Exception):
    code = "workforce.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WorkforceInvalid(WorkforceError):
    code = "workforce.invalid"


class WorkforceNotFound(WorkforceError):
    code = "workforce.not_found"


class WorkforceDenied(WorkforceError):
    code = "workforce.denied"


class WorkforceConflict(WorkforceError):
    """The row changed under the caller (a request already decided, a worker already gone)."""

    code = "workforce.conflict"
