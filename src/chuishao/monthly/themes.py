"""Themes in the text of reports: TF-IDF-weighted words and a greedy, deterministic grouping.

1. Each report's words come from ``chuishao.text.terms`` (rjieba, without the sub-words of long words).
2. A word's weight in a report is tf·idf with idf = ln((1 + n) / (1 + df)) + 1 over the reports given;
   words in more than 60 % of the reports (``MAX_DF``, from 4 reports on) describe them all, not a theme;
   a report is described by its ``TOP_TERMS`` heaviest words (ties by the word itself).
3. Reports are taken in order (heaviest description first, then id); each joins the existing theme
   whose seed (the weighted words of the report that started it) is most similar to its own words
   (weighted Jaccard: Σ min / Σ max of the weights, ≥ ``THRESHOLD``; ties to the earlier theme), or
   starts a new theme.
4. A theme is named by its 3 words with the most weight across its reports (a word weighs its idf in
   each report of the theme that has it, so words shared by the theme's reports and rare elsewhere
   win); themes are listed by size, then name. Same reports in, same themes out: nothing random,
   every tie broken by a value.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from chuishao.text import terms

TOP_TERMS = 8
THRESHOLD = 0.2
# Words in more than this share of the reports describe them all (the category), not a theme.
MAX_DF = 0.6
MAX_THEMES = 8
EXAMPLES = 3


@dataclass
class Theme:
    name_terms: list[str]
    ids: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " · ".join(self.name_terms)

    @property
    def count(self) -> int:
        return len(self.ids)


def _similarity(a: dict[str, float], b: dict[str, float]) -> float:
    """Weighted Jaccard: the sum of the smaller weights over the sum of the larger ones."""
    words = a.keys() | b.keys()
    high = sum(max(a.get(w, 0.0), b.get(w, 0.0)) for w in words)
    return sum(min(a.get(w, 0.0), b.get(w, 0.0)) for w in words) / high if high else 0.0


def themes_of(reports: Iterable[tuple[int, str]], *, max_themes: int = MAX_THEMES) -> list[Theme]:
    """Group ``reports`` ((id, text) pairs) into themes; the rest beyond ``max_themes`` are dropped."""
    docs = [(pk, text, Counter(terms(text, for_search=False))) for pk, text in reports]
    docs = [d for d in docs if d[2]]
    if not docs:
        return []
    n = len(docs)
    df: Counter[str] = Counter()
    for _, _, tf in docs:
        df.update(tf.keys())
    idf = {w: math.log((1 + n) / (1 + c)) + 1 for w, c in df.items()}
    common = {w for w, c in df.items() if n >= 4 and c / n > MAX_DF}

    described = []
    for pk, text, tf in docs:
        weights = {w: c * idf[w] for w, c in tf.items() if w not in common}
        top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TERMS]
        described.append((pk, text, weights, dict(top), sum(v for _, v in top)))
    described.sort(key=lambda d: (-d[4], d[0]))

    groups: list[dict] = []
    for pk, text, weights, top, _ in described:
        best, best_sim = None, 0.0
        for group in groups:
            sim = _similarity(top, group["seed"])
            if sim > best_sim:
                best, best_sim = group, sim
        if best is None or best_sim < THRESHOLD:
            best = {"seed": top, "members": [], "weight": Counter()}
            groups.append(best)
        best["members"].append((pk, text))
        best["weight"].update({w: idf[w] for w in weights})

    out = []
    for group in groups:
        named = sorted(group["weight"].items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        members = sorted(group["members"], key=lambda m: m[0])
        out.append(
            Theme(
                name_terms=[w for w, _ in named],
                ids=[pk for pk, _ in members],
                examples=[text for _, text in members[:EXAMPLES]],
            )
        )
    out.sort(key=lambda t: (-t.count, t.name))
    return out[:max_themes]
