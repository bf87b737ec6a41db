"""Chinese search over exemplary cases, the same on SQLite and PostgreSQL.

Chinese has no spaces, so neither database's own word splitting helps; instead ``chuishao.text.terms``
(jieba) cuts each field into words once, when the services save an exemplar, into ``ExemplarTerm`` rows
(exemplar, field, word, weight). A query is cut the same way and answered with one grouped query over
that table (plain ``IN``, ``COUNT`` and ``SUM``; no database-specific full text search):

1. exemplars matching more of the query's words first (all words above some);
2. then those with more of the query's words in the title;
3. then the summed weights (a title word counts 8, a tag 4, the problem 2, what was done and the
   results 1 each, times the word's count in the field, capped at 3);
4. then the most recently published.

A query with no indexable word (a single character, punctuation) falls back to a substring match on
title, problem and what was done.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db.models import Count, Max, Q, QuerySet, Sum

from chuishao.library.models import FIELD_WEIGHT, Exemplar, ExemplarTerm, Field
from chuishao.text import terms

MAX_COUNT = 3
MAX_QUERY_TERMS = 12
TERM_LENGTH = 40


def field_texts(exemplar: Exemplar) -> dict[str, str]:
    """The text of each indexed field of a saved exemplar."""
    results = " ".join(f"{r.label} {r.unit}" for r in exemplar.results.all())
    tags = " ".join(t.name for t in exemplar.tags.all())
    return {
        Field.TITLE: exemplar.title,
        Field.TAGS: tags,
        Field.PROBLEM: exemplar.problem,
        Field.ACTIONS: exemplar.actions,
        Field.RESULTS: results,
    }


def index_rows(exemplar: Exemplar) -> list[ExemplarTerm]:
    rows = []
    for field, text in field_texts(exemplar).items():
        counts = Counter(t[:TERM_LENGTH] for t in terms(text))
        if field == Field.TAGS:
            # A tag is also a word as a whole ("红色物业" even where jieba cuts it in two).
            counts.update(t.name.lower()[:TERM_LENGTH] for t in exemplar.tags.all())
        for term, n in counts.items():
            rows.append(
                ExemplarTerm(
                    exemplar=exemplar, field=field, term=term, weight=FIELD_WEIGHT[field] * min(n, MAX_COUNT)
                )
            )
    return rows


def index_refresh(exemplar: Exemplar) -> int:
    """Rebuild the exemplar's rows of the term index (inside the caller's transaction)."""
    ExemplarTerm.objects.filter(exemplar=exemplar).delete()
    rows = index_rows(exemplar)
    ExemplarTerm.objects.bulk_create(rows)
    return len(rows)


def query_terms(query: str) -> list[str]:
    """The query's words, as the index cut them, each once, in order."""
    seen: dict[str, None] = {}
    for term in terms(query or ""):
        seen.setdefault(term[:TERM_LENGTH], None)
    return list(seen)[:MAX_QUERY_TERMS]


def search(exemplars: QuerySet[Exemplar], query: str) -> QuerySet[Exemplar] | list[Exemplar]:
    """``exemplars`` (already scoped and filtered) matching ``query``, best first.

    Without words to rank by, the answer stays a queryset in its own order, so a paginator counts and
    slices it in the database instead of loading every published exemplar; ranked answers (at most 500)
    come back as a list in rank order."""
    query = (query or "").strip()
    if not query:
        return exemplars
    words = query_terms(query)
    if not words:
        text = query[:40]
        return exemplars.filter(
            Q(title__icontains=text) | Q(problem__icontains=text) | Q(actions__icontains=text)
        )
    ranked = list(
        ExemplarTerm.objects.filter(term__in=words, exemplar__in=exemplars.values("pk"))
        .values("exemplar_id")
        .annotate(
            matched=Count("term", distinct=True),
            in_title=Count("term", distinct=True, filter=Q(field=Field.TITLE)),
            score=Sum("weight"),
            published=Max("exemplar__published_at"),
        )
        .order_by("-matched", "-in_title", "-score", "-published", "-exemplar_id")
        .values_list("exemplar_id", flat=True)[:500]
    )
    return _in_order(exemplars, ranked)


def _in_order(exemplars: QuerySet[Exemplar], ids: Iterable[int]) -> list[Exemplar]:
    ids = list(ids)
    by_pk = {e.pk: e for e in exemplars.filter(pk__in=ids)}
    return [by_pk[pk] for pk in ids if pk in by_pk]
