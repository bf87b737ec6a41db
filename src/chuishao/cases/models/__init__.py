"""Models of the case domain: the case itself (``case``) and the whistle that summons departments to it
(``whistle``)."""

from chuishao.cases.models.case import (
    PUBLIC_SOURCES,
    AssignmentRole,
    Case,
    CaseAssignment,
    CaseMedia,
    Nature,
    Priority,
    Resolution,
    Satisfaction,
    Source,
    Status,
    WarnLevel,
)
from chuishao.cases.models.whistle import (
    SummonsState,
    Whistle,
    WhistleKind,
    WhistleParty,
    WhistleRating,
    WhistleReason,
    WhistleStatus,
    WhistleSummons,
)

__all__ = [
    "PUBLIC_SOURCES",
    "AssignmentRole",
    "Case",
    "CaseAssignment",
    "CaseMedia",
    "Nature",
    "Priority",
    "Resolution",
    "Satisfaction",
    "Source",
    "Status",
    "SummonsState",
    "WarnLevel",
    "Whistle",
    "WhistleKind",
    "WhistleParty",
    "WhistleRating",
    "WhistleReason",
    "WhistleStatus",
    "WhistleSummons",
]
