"""Errors of the party app, with stable codes (the pages and tests tell them apart by class)."""


class PartyError(Exception):
    code = "party.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PartyInvalid(PartyError):
    code = "party.invalid"


class PartyNotFound(PartyError):
    code = "party.not_found"


class PartyDenied(PartyError):
    code = "party.denied"


class PartyConflict(PartyError):
    """The state changed under the caller (a seat already ended, a board already set up)."""

    code = "party.conflict"
