"""Words of Chinese text for search and themes (chuishao.text)."""

from chuishao.text import distinct_terms, terms


def test_terms_segment_chinese_and_drop_punctuation_and_fillers():
    words = terms("居民反映：小区门口停车难，占用消防通道！")
    assert "停车" in words
    assert "消防通道" in words
    # The parts of a long word are there too, so a search for a part finds the whole.
    assert "消防" in words
    assert "通道" in words
    assert "反映" not in words  # a filler of reports
    assert "居民" not in words
    assert all(w not in words for w in ("：", "，", "！"))


def test_terms_lower_latin_drop_digits_and_single_characters():
    words = terms("Open311 接口 2024 年 乱")
    assert "open311" in words
    assert "接口" in words
    assert "2024" not in words
    assert "乱" not in words
    assert terms("乱", min_length=1) == ["乱"]


def test_terms_without_search_parts_and_empty_text():
    assert "消防" not in terms("占用消防通道", for_search=False)
    assert terms("") == []
    assert distinct_terms(["垃圾桶满溢", "垃圾桶满了"]) >= {"垃圾桶", "垃圾"}


def test_the_words_of_a_catch_all_category_are_fillers():
    """ "其他：不属于以上各项的…" names no problem; themes must not be built on its words."""
    words = terms("其他：不属于以上各项的其他市容环境问题")
    assert not {"其他", "以上", "各项", "属于", "不属于"} & set(words)
    assert "市容" in words
