"""The Chinese catalogues: complete, well-formed, compiled, and used.

Two catalogues ship: the domain apps' (``chuishao/locale``, found through LOCALE_PATHS) and the web
app's (``chuishao/web/locale``). Each ``.po`` must be fully translated with no fuzzy entry and the same
placeholders as its source string, and the committed ``.mo`` must match it (a ``.po`` edited without
``compilemessages`` fails here). The domain catalogue must also cover every string the domain source
marks for translation.
"""

from __future__ import annotations

import ast
import gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation

import chuishao

PACKAGE = Path(chuishao.__file__).resolve().parent
DOMAIN_DIR = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES"
WEB_DIR = PACKAGE / "web" / "locale" / "zh_Hans" / "LC_MESSAGES"
CATALOGUES = {"domain": DOMAIN_DIR, "web": WEB_DIR}

HAN = re.compile(r"[\u4e00-\u9fff]")


# --- a small .po reader -------------------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    def __str__(self) -> str:
        ctxt = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {ctxt}{self.msgid!r}"


_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")


def _unquote(text: str, where: str) -> str:
    value = ast.literal_eval(text)
    assert isinstance(value, str), where
    return value


def parse_po(path: Path) -> list[Entry]:
    """Entries of ``path`` in order, the header included; obsolete (``#~``) entries are left out."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # the field continuation lines add to

    def flush() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        where = f"{path}:{number}"
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            # A comment after a msgstr starts the next entry even without a blank line between.
            if current is not None and current.msgstr:
                flush()
            if current is None:
                current = Entry(line=number)
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        if line.startswith('"'):
            assert current is not None and target is not None, f"{where}: a string outside an entry"
            name, index = target
            piece = _unquote(line, where)
            if name == "msgstr":
                current.msgstr[index] += piece
            else:
                setattr(current, name, getattr(current, name) + piece)
            continue
        match = _KEYWORD.match(line)
        assert match, f"{where}: cannot read {raw!r}"
        keyword, index, text = match.groups()
        value = _unquote(text, where)
        if keyword in {"msgctxt", "msgid"} and current is not None and current.msgstr:
            flush()
        if current is None:
            current = Entry(line=number)
        if keyword.startswith("msgstr"):
            slot = int(index) if index is not None else 0
            current.msgstr[slot] = value
            target = ("msgstr", slot)
        else:
            setattr(current, keyword, value)
            target = (keyword, 0)
    flush()
    return entries


def messages(path: Path) -> list[Entry]:
    return [e for e in parse_po(path) if not e.is_header]


def header(path: Path) -> dict[str, str]:
    first = parse_po(path)[0]
    assert first.is_header, f"{path} does not start with a header"
    fields = {}
    for row in first.msgstr[0].splitlines():
        key, _, value = row.partition(":")
        fields[key.strip()] = value.strip()
    return fields


# --- placeholders ---------------------------------------------------------------------------------------

PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?([diouxXeEfFgGcrsa%])")
BRACES = re.compile(r"\{(\w*)(?:[!:][^{}]*)?\}")


def placeholders(text: str) -> tuple[tuple, tuple, tuple]:
    """Named %-placeholders (with their conversions) and brace fields, counted; positional ones in order."""
    named: Counter = Counter()
    positional: list[str] = []
    for name, conversion in PERCENT.findall(text):
        if conversion == "%":
            continue
        if name:
            named[f"%({name}){conversion}"] += 1
        else:
            positional.append(conversion)
    braces = Counter(BRACES.findall(text.replace("{{", "").replace("}}", "")))
    return tuple(sorted(named.items())), tuple(positional), tuple(sorted(braces.items()))


def test_placeholder_reader():
    named, positional, braces = placeholders("%(far).1f m, %(n)d of %s and %d; 100%% {x} {} {{literal}}")
    assert named == (("%(far)f", 1), ("%(n)d", 1))
    assert positional == ("s", "d")
    assert braces == (("", 1), ("x", 1))
    assert placeholders("%(a)s %(b)s") == placeholders("%(b)s 与 %(a)s")
    assert placeholders("%(a)s") != placeholders("%(a)d")


def test_po_reader_handles_multiline_context_plural_and_glued_header(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n'
        '#: a.py:1\nmsgid "one"\nmsgstr "一"\n\n'
        '#, fuzzy, python-format\nmsgctxt "month"\nmsgid ""\n"May %(x)s\\n"\n"second"\nmsgstr "五月"\n\n'
        'msgid "%(n)s case"\nmsgid_plural "%(n)s cases"\nmsgstr[0] "%(n)s 件"\n\n'
        '#~ msgid "gone"\n#~ msgstr "没了"\n',
        encoding="utf-8",
    )
    entries = parse_po(po)
    assert [e.msgid for e in entries] == ["", "one", "May %(x)s\nsecond", "%(n)s case"]
    assert header(po) == {"Language": "zh_Hans"}
    assert entries[1].msgstr == {0: "一"}
    assert entries[2].msgctxt == "month"
    assert entries[2].flags == {"fuzzy", "python-format"}
    assert entries[3].msgid_plural == "%(n)s cases"
    assert entries[3].msgstr == {0: "%(n)s 件"}


# --- (a) complete and well-formed ---------------------------------------------------------------------


@pytest.mark.parametrize("name", CATALOGUES)
def test_catalogue_header(name):
    path = CATALOGUES[name] / "django.po"
    fields = header(path)
    assert fields.get("Language") == "zh_Hans"
    assert "charset=UTF-8" in fields.get("Content-Type", "")
    assert fields.get("Plural-Forms", "").startswith("nplurals=1;")
    assert "fuzzy" not in parse_po(path)[0].flags, "a fuzzy header makes msgfmt drop the charset"


@pytest.mark.parametrize("name", CATALOGUES)
def test_every_entry_is_translated_and_not_fuzzy(name):
    entries = messages(CATALOGUES[name] / "django.po")
    assert entries, f"the {name} catalogue is empty"
    fuzzy = [str(e) for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries in the {name} catalogue: {fuzzy}"
    untranslated = [str(e) for e in entries if not e.msgstr or not all(e.msgstr.values())]
    assert not untranslated, f"untranslated entries in the {name} catalogue: {untranslated}"
    plural_gaps = [str(e) for e in entries if e.msgid_plural is not None and sorted(e.msgstr) != [0]]
    assert not plural_gaps, f"plural entries need exactly msgstr[0] (nplurals=1): {plural_gaps}"
    keys = Counter((e.msgctxt, e.msgid) for e in entries)
    assert not [k for k, n in keys.items() if n > 1], "duplicate msgids"


@pytest.mark.parametrize("name", CATALOGUES)
def test_placeholders_match(name):
    wrong = []
    for entry in messages(CATALOGUES[name] / "django.po"):
        # With nplurals=1 the one msgstr may follow either the singular or the plural source.
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural is not None else [])
        expected = {placeholders(s) for s in sources}
        for text in entry.msgstr.values():
            if placeholders(text) not in expected:
                wrong.append(f"{entry} -> {text!r}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


@pytest.mark.parametrize("name", CATALOGUES)
def test_translations_are_chinese(name):
    """Every translation holds Chinese text, except strings that are only names or codes."""
    latin_only = [
        f"{e} -> {s!r}"
        for e in messages(CATALOGUES[name] / "django.po")
        for s in e.msgstr.values()
        if not HAN.search(s) and s != e.msgid
    ]
    assert not latin_only, latin_only


def test_the_two_catalogues_do_not_shadow_each_other():
    """LOCALE_PATHS wins over an app's locale, so a msgid in both would override the web's wording."""
    domain = {(e.msgctxt, e.msgid): e.msgstr for e in messages(DOMAIN_DIR / "django.po")}
    web = {(e.msgctxt, e.msgid): e.msgstr for e in messages(WEB_DIR / "django.po")}
    clashes = [key for key in domain.keys() & web.keys() if domain[key] != web[key]]
    assert not clashes, clashes


# --- (b) the committed .mo is compiled from the .po -------------------------------------------------


@pytest.mark.parametrize("name", CATALOGUES)
def test_mo_is_compiled_from_the_po(name):
    folder = CATALOGUES[name]
    with (folder / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    entries = messages(folder / "django.po")
    stale = []
    for entry in entries:
        if entry.msgid_plural is None:
            got = (
                compiled.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt is not None
                else compiled.gettext(entry.msgid)
            )
            if got != entry.msgstr[0]:
                stale.append(f"{entry}: .mo has {got!r}, .po has {entry.msgstr[0]!r}")
            continue
        for n in (0, 1, 2, 5, 11, 21, 101):
            index = compiled.plural(n)
            got = (
                compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                if entry.msgctxt is not None
                else compiled.ngettext(entry.msgid, entry.msgid_plural, n)
            )
            if got != entry.msgstr.get(index):
                stale.append(f"{entry} (n={n}): .mo has {got!r}, .po has {entry.msgstr.get(index)!r}")
    assert not stale, "the .mo is out of date; run compilemessages:\n" + "\n".join(stale)

    # Nothing in the .mo that the .po no longer has (the catalogue's keys, header excluded).
    po_ids = {e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}" for e in entries}
    mo_ids = {key[0] if isinstance(key, tuple) else key for key in compiled._catalog} - {""}
    assert mo_ids == po_ids, f"the .mo holds {sorted(mo_ids - po_ids)} that the .po does not"


# --- (c) the strings come out in Chinese ----------------------------------------------------------------


def test_labels_and_messages_are_chinese():
    from chuishao.cases.errors import CaseInvalid
    from chuishao.cases.models import AssignmentRole, Nature, Satisfaction, Status
    from chuishao.cases.services.workflow import case_act, case_cancel
    from chuishao.catalog.models import CategoryKind, TimeType
    from chuishao.orgs.models import Role

    with translation.override("zh-hans"):
        assert str(Status.REPORTED.label) == "已上报"
        assert str(Status.SELF_HANDLED.label) == "自行处置"
        assert str(Role.STREET_DISPATCHER.label) == "街道派遣员"
        assert str(Role.GRID_WORKER.label) == "网格员"
        assert str(AssignmentRole.LEAD.label) == "主办"
        assert str(Nature.COMPLAINT.label) == "投诉"
        assert str(Satisfaction.BASICALLY.label) == "基本满意"
        assert str(TimeType.WORKING_DAYS.label) == "工作日"
        assert str(CategoryKind.COMPONENT.label) == "部件"
        assert dict(Status.choices)["parked"] == "挂账"

        with pytest.raises(CaseInvalid) as unknown:
            case_act(case=1, action="teleport", actor=None)
        assert unknown.value.message == "未知的操作 teleport。"

        with pytest.raises(CaseInvalid) as no_reason:
            case_cancel(case=1, actor=None, reason="  ")
        assert HAN.search(no_reason.value.message), no_reason.value.message
        assert "cancel" in no_reason.value.message

    with translation.override("en"):
        assert str(Status.REPORTED.label) == "reported"
        with pytest.raises(CaseInvalid) as english:
            case_act(case=1, action="teleport", actor=None)
        assert english.value.message == "Unknown action teleport."


# --- (d) the domain catalogue covers the domain source ------------------------------------------------

REFRESH = (
    "in src/chuishao run `django-admin makemessages -l zh_Hans --ignore='web/*' --ignore='*/migrations/*'`"
    " (DJANGO_SETTINGS_MODULE=chuishao.settings), translate the new entries, then compilemessages:"
)
GETTEXT_FUNCTIONS = {"gettext", "gettext_lazy", "gettext_noop", "pgettext", "pgettext_lazy"}
PLURAL_FUNCTIONS = {"ngettext", "ngettext_lazy", "npgettext", "npgettext_lazy"}


def _domain_sources() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] != "web" and "migrations" not in path.parts
    )


def _marked_strings(path: Path) -> set[tuple[str | None, str]]:
    """(context, msgid) of every literal passed to a django.utils.translation function in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: dict[str, str] = {}  # local name -> translation function
    modules: set[str] = set()  # local names bound to django.utils.translation itself
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                names[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module == "django.utils":
            modules.update(a.asname or a.name for a in node.names if a.name == "translation")
    found: set[tuple[str | None, str]] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name):
            name = names.get(func.id)
        elif (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in modules
        ):
            name = func.attr
        else:
            continue
        if name not in GETTEXT_FUNCTIONS | PLURAL_FUNCTIONS:
            continue
        literals = [
            a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args
        ]
        with_context = name.startswith(("pgettext", "npgettext"))
        context = literals[0] if with_context and literals else None
        msgid = literals[1] if with_context and len(literals) > 1 else (literals[0] if literals else None)
        if msgid is not None:
            found.add((context, msgid))
    return found


def test_every_marked_domain_string_is_in_the_catalogue():
    marked: dict[tuple[str | None, str], Path] = {}
    for path in _domain_sources():
        for key in _marked_strings(path):
            marked.setdefault(key, path)
    assert len(marked) > 100, "the source scan found too few strings; is it still reading the right files?"
    catalogue = {(e.msgctxt, e.msgid) for e in messages(DOMAIN_DIR / "django.po")}
    missing = [
        f"{path.relative_to(PACKAGE)}: {key[1]!r}" for key, path in marked.items() if key not in catalogue
    ]
    assert not missing, f"{REFRESH}\n" + "\n".join(sorted(missing))
    stale = sorted(key[1] for key in catalogue - marked.keys())
    assert not stale, f"the domain catalogue holds strings no source marks any more: {stale}"
