"""Errors of the exemplary-case library, with stable codes (the pages and tests tell them apart by class)."""


class LibraryError(Exception):
    code = "library.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LibraryInvalid(LibraryError):
    code = "library.invalid"


class LibraryNotFound(LibraryError):
    """The exemplar does not exist, or the actor may not see it (the two are not told apart)."""

    code = "library.not_found"


class LibraryDenied(LibraryError):
    code = "library.denied"


class LibraryConflict(LibraryError):
    """The exemplar is not in a state that allows the step (often: someone acted first)."""

    code = "library.conflict"
