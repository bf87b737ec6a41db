"""Case services: every write to a case goes through one of these functions.

``intake`` creates cases; ``workflow`` moves them through the transition table.
"""

from chuishao.cases.services.intake import case_report
from chuishao.cases.services.workflow import (
    case_accept,
    case_act,
    case_cancel,
    case_check,
    case_close,
    case_decline,
    case_dispatch,
    case_file,
    case_grant_extension,
    case_handle,
    case_park,
    case_rate,
    case_refuse_extension,
    case_reopen,
    case_request_extension,
    case_return,
    case_rework,
    case_self_handle,
    case_start,
    case_unpark,
    case_verify,
    case_withdraw,
)

__all__ = [
    "case_accept",
    "case_act",
    "case_cancel",
    "case_check",
    "case_close",
    "case_decline",
    "case_dispatch",
    "case_file",
    "case_grant_extension",
    "case_handle",
    "case_park",
    "case_rate",
    "case_refuse_extension",
    "case_reopen",
    "case_report",
    "case_request_extension",
    "case_return",
    "case_rework",
    "case_self_handle",
    "case_start",
    "case_unpark",
    "case_verify",
    "case_withdraw",
]
