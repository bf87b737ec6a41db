"""Case services: every write to a case goes through one of these functions.

``intake`` creates cases; ``workflow`` moves them through the transition table, with ownership in
``dispatch`` and the reporter's verdict in ``feedback``; ``engine`` runs one transition.
"""

from chuishao.cases.services.dispatch import (
    case_accept,
    case_arbitrate,
    case_dispatch,
    case_grant_extension,
    case_refer,
    case_refuse_extension,
    case_request_extension,
    case_return,
)
from chuishao.cases.services.feedback import case_rate, case_reopen
from chuishao.cases.services.intake import case_report
from chuishao.cases.services.oversight import case_chase, case_supervise
from chuishao.cases.services.whistle import (
    summons_acknowledge,
    summons_check_in,
    summons_record_action,
    whistle_blow,
    whistle_cancel,
    whistle_confirm_done,
    whistle_join,
    whistle_rate,
    whistle_summon,
)
from chuishao.cases.services.workflow import (
    case_act,
    case_cancel,
    case_check,
    case_close,
    case_decline,
    case_file,
    case_handle,
    case_park,
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
    "case_arbitrate",
    "case_cancel",
    "case_chase",
    "case_check",
    "case_close",
    "case_decline",
    "case_dispatch",
    "case_file",
    "case_grant_extension",
    "case_handle",
    "case_park",
    "case_rate",
    "case_refer",
    "case_refuse_extension",
    "case_reopen",
    "case_report",
    "case_request_extension",
    "case_return",
    "case_rework",
    "case_self_handle",
    "case_start",
    "case_supervise",
    "case_unpark",
    "case_verify",
    "case_withdraw",
    "summons_acknowledge",
    "summons_check_in",
    "summons_record_action",
    "whistle_blow",
    "whistle_cancel",
    "whistle_confirm_done",
    "whistle_join",
    "whistle_rate",
    "whistle_summon",
]
