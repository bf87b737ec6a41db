"""``chuishao --help`` lists only commands that exist, and every project command is listed."""

from __future__ import annotations

import re

from django.core.management import get_commands

from chuishao.cli import main


def test_the_help_names_real_commands_and_leaves_none_of_ours_out(capsys):
    main(["chuishao", "--help"])
    text = capsys.readouterr().out
    first_words = {
        m.group(1).replace("-", "_") for m in re.finditer(r"^  ([a-z][a-z-]*)", text, re.MULTILINE)
    }
    commands = get_commands()
    assert first_words - {"manage"} <= set(commands), first_words - set(commands)
    ours = {name for name, app in commands.items() if app.startswith("chuishao")}
    unlisted = {name for name in ours if not re.search(rf"\b{name.replace('_', '-')}\b", text)}
    assert unlisted == set()
