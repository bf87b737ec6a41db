"""The case desk's Python-written select gives the same HTML as Django's template-rendered one."""

from __future__ import annotations

import re

from django import forms

from chuishao.web.forms import ListSelect

CHOICES = [
    ("", "any"),
    (1, "东城区 <b>&"),
    (2, 'a "quoted" name'),
    ("Group", [(3, "三"), (4, "四")]),
]


def _squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


def test_the_list_select_writes_what_djangos_select_writes():
    for value in (None, "", 2, "2", 4):
        for attrs in (None, {"id": "id_node", "required": True, "data-x": "<y>"}):
            ours = ListSelect(choices=CHOICES).render("node", value, attrs=attrs)
            django = forms.Select(choices=CHOICES).render("node", value, attrs=attrs)
            assert _squeeze(ours) == _squeeze(django), (value, attrs)


def test_the_list_select_escapes_labels_and_marks_the_chosen_option():
    html = ListSelect(choices=CHOICES).render("node", 4)
    assert "&lt;b&gt;&amp;" in html and "<b>" not in html
    assert '<option value="4" selected>四</option>' in html
    assert html.count("selected") == 1
