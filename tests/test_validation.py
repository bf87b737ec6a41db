"""The shared check of typed text (chuishao.validation): trimmed, required, bounded, the app's own error."""

import pytest

from chuishao.validation import clean_text


class Invalid(Exception):
    pass


def test_text_is_trimmed_and_kept():
    assert clean_text("  理由  ", "reason", 10, error=Invalid) == "理由"


@pytest.mark.parametrize("value", ["", "   ", None])
def test_missing_text_is_refused_with_the_field_named(value):
    with pytest.raises(Invalid, match="Write the reason"):
        clean_text(value, "reason", 10, error=Invalid)


def test_optional_text_may_be_empty_and_too_long_text_is_refused():
    assert clean_text(None, "note", 10, error=Invalid, required=False) == ""
    with pytest.raises(Invalid, match="longer than 3 characters"):
        clean_text("四个字符", "note", 3, error=Invalid)
