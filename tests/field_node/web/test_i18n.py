"""The Chinese catalogue covers every string of the station app, and the compiled catalogue is current."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = ROOT / "field_node" / "web" / "translations" / "zh" / "LC_MESSAGES"
METHODS = [("field_node/**.py", "python"), ("field_node/web/templates/**.html", "jinja2")]


def source_strings() -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), METHODS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_string_has_a_chinese_translation():
    with open(CATALOGUE / "messages.po", "rb") as handle:
        catalogue = read_po(handle, locale="zh")
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    missing = source_strings() - translated
    assert not missing, f"run `make translations` and translate: {sorted(missing)}"


def test_the_compiled_catalogue_matches_the_po_file():
    with open(CATALOGUE / "messages.po", "rb") as handle:
        source = {m.id: m.string for m in read_po(handle, locale="zh") if m.id}
    with open(CATALOGUE / "messages.mo", "rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    assert compiled == source, "run `make translations` (pybabel compile) and commit messages.mo"
