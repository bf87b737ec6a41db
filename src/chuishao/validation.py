"""Checks of what people type, shared by the domain services: one wording of each refusal everywhere."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def clean_text(value: Any, what: str, limit: int, *, error: type[Exception], required: bool = True) -> str:
    """``value`` as trimmed text, or ``error`` saying what is missing or too long.

    ``what`` names the field in the message ("the reason"); ``error`` is the calling app's own
    "invalid input" exception, so callers keep catching what they caught before.
    """
    text = str(value or "").strip()
    if required and not text:
        raise error(_("Write the %(what)s.") % {"what": what})
    if len(text) > limit:
        raise error(_("The %(what)s is longer than %(n)s characters.") % {"what": what, "n": limit})
    return text
