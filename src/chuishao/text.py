"""Words of Chinese (and mixed) text, for search and for grouping reports into themes.

Chinese is written without spaces, so words come from a segmenter (rjieba, the Python binding of
jieba-rs: jieba's dictionary and algorithm, compiled). ``terms`` gives the words worth indexing:
punctuation, digits-only tokens and common function words are dropped, Latin words are lower-cased.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import rjieba

# Function words and the fillers of reports ("请", "反映") that say nothing about the problem.
_STOPWORDS_TEXT = """
    的 了 在 是 和 有 也 都 就 很 等 及 与 对 把 被 请 这 那 我 你 他 她 它 们 我们 你们 他们 一个 一些
    没有 不 没 又 还 再 才 从 到 向 给 让 由 为 因为 所以 但是 而且 或者 以及 如果 已经 现在 今天 昨天
    多日 一直 非常 比较 可以 希望 要求 反映 市民 居民 来电 诉求 问题 情况 相关 部门 处理 解决 附近 这里
    那里 有人 其中 进行 目前 经常 每天 还是 就是 什么 怎么 为什么 能否 是否 the a an of and or to in on
    以上 以下 其他 其它 各项 属于 不属于 有关 等等 一般 at is are be for with by
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_WORDY = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)
_DIGITS = re.compile(r"^[\d.]+$")


def terms(text: str, *, min_length: int = 2, for_search: bool = True) -> list[str]:
    """The words of ``text`` worth indexing, in order, repeats kept.

    ``for_search`` also yields the shorter words inside long ones ("消防通道" gives "消防", "通道" and
    "消防通道"), so a query for a part finds the whole. Words shorter than ``min_length`` characters
    are dropped (a single Chinese character says little on its own).
    """
    if not text:
        return []
    cut = rjieba.cut_for_search(text) if for_search else rjieba.cut(text)
    out = []
    for token in cut:
        word = token.strip().lower()
        if (
            len(word) < min_length
            or not _WORDY.search(word)
            or _DIGITS.match(word)
            or word in STOPWORDS
            or "_" in word
        ):
            continue
        out.append(word)
    return out


def distinct_terms(texts: Iterable[str], **kwargs) -> set[str]:
    """Every word of any of ``texts`` once."""
    found: set[str] = set()
    for text in texts:
        found.update(terms(text, **kwargs))
    return found
