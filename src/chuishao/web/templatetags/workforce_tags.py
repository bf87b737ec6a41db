"""Template helpers of the workforce pages."""

from __future__ import annotations

import datetime as dt

from django import template

from chuishao.workforce.selectors import Register, RegisterRow

register = template.Library()


@register.simple_tag
def register_total(reg: Register, month: dt.date, kind: str) -> int:
    """Admitted items of ``kind`` in force in ``month``, summed over the register's communities."""
    return reg.total(month, kind)


@register.simple_tag
def month_total(row: RegisterRow, month: dt.date) -> int:
    return row.month_total(month)
