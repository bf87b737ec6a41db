"""Answers to a category's extra questions: checked against the questions, returned clean.

The same check serves the web form, the REST API and Open311 (whose ``attribute[CODE]`` fields are
these answers). Answers are stored on the case as ``{code: value}``; a list question's value is a
key of its choices, several keys for a multiple choice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from chuishao.catalog.models import CategoryQuestion, QuestionType

MAX_STRING = 200
MAX_TEXT = 2000


class AnswerInvalid(ValueError):
    code = "case.answers_invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _one(question: CategoryQuestion, value: Any) -> Any:
    kind = question.datatype
    if kind in (QuestionType.STRING, QuestionType.TEXT):
        text = str(value).strip()
        limit = MAX_STRING if kind == QuestionType.STRING else MAX_TEXT
        if len(text) > limit:
            raise AnswerInvalid(
                _("The answer to “%(q)s” is longer than %(n)s characters.")
                % {"q": question.label, "n": limit}
            )
        return text
    if kind == QuestionType.NUMBER:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            raise AnswerInvalid(_("The answer to “%(q)s” must be a number.") % {"q": question.label})
        return int(number) if number.is_integer() else number
    if kind == QuestionType.DATETIME:
        parsed = parse_datetime(str(value).strip()) if isinstance(value, str) else None
        if parsed is None:
            raise AnswerInvalid(
                _("The answer to “%(q)s” must be a date and time such as 2026-05-01T08:30+08:00.")
                % {"q": question.label}
            )
        if timezone.is_naive(parsed):  # a local time of the city
            parsed = timezone.make_aware(parsed)
        return parsed.isoformat()
    keys = [str(v["key"]) for v in question.values]
    chosen = [str(v).strip() for v in (value if isinstance(value, list | tuple) else [value])]
    chosen = [c for c in chosen if c]
    wrong = [c for c in chosen if c not in keys]
    if wrong:
        raise AnswerInvalid(
            _("“%(v)s” is not a choice of “%(q)s”; the choices are %(keys)s.")
            % {"v": wrong[0], "q": question.label, "keys": ", ".join(keys)}
        )
    if kind == QuestionType.SINGLE:
        if len(chosen) > 1:
            raise AnswerInvalid(_("“%(q)s” takes one choice.") % {"q": question.label})
        return chosen[0] if chosen else ""
    return list(dict.fromkeys(chosen))


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def answers_clean(questions: Iterable[CategoryQuestion], answers: dict[str, Any] | None) -> dict[str, Any]:
    """The answers checked and normalised; raises ``AnswerInvalid`` saying what is wrong."""
    answers = dict(answers or {})
    if not isinstance(answers, dict):
        raise AnswerInvalid(_("Answers must be given as question code → value."))
    by_code = {q.code: q for q in questions}
    unknown = sorted(set(answers) - set(by_code))
    if unknown:
        raise AnswerInvalid(
            _("This category asks no question %(codes)s.") % {"codes": ", ".join(map(str, unknown))}
        )
    clean: dict[str, Any] = {}
    for code, question in by_code.items():
        value = answers.get(code)
        if _empty(value):
            if question.required:
                raise AnswerInvalid(_("Answer the question “%(q)s”.") % {"q": question.label})
            continue
        clean[code] = _one(question, value)
    return clean
