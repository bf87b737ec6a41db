"""Errors of the demonstration programme, with stable codes (pages and tests tell them apart by class)."""


class DemonstrationError(Exception):
    code = "demonstration.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DemonstrationInvalid(DemonstrationError):
    code = "demonstration.invalid"


class DemonstrationNotFound(DemonstrationError):
    code = "demonstration.not_found"


class DemonstrationDenied(DemonstrationError):
    code = "demonstration.denied"


class DemonstrationConflict(DemonstrationError):
    """The state forbids it: a node already named, a quota full, a review already decided."""

    code = "demonstration.conflict"
