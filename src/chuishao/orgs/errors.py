"""Errors of the organisations app, with stable codes."""


class OrgError(Exception):
    code = "orgs.error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
