"""The request id of the request being served, for log lines written anywhere below the middleware."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

# An id a proxy or client may hand us: short, printable, no spaces (it is echoed in a header and logs).
WELL_FORMED = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

current_request_id: ContextVar[str] = ContextVar("chuishao_request_id", default="")


def request_id_from(header: str | None) -> str:
    """The incoming X-Request-ID when well formed, else a new random one."""
    if header and WELL_FORMED.match(header):
        return header
    return uuid.uuid4().hex
