"""The phone's check of free text (field_node/web/static/phone_checks.js ``numbersInText``/``textProblem``) finds
exactly what shared/free_text.py finds, in Debian's Chromium, and says the same Chinese message; the offline
form refuses a note with a number before it saves anything on the phone."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared import free_text
from tests.e2e.browser import script_page
from tests.shared.test_free_text import ID18, SAMPLES

pytestmark = pytest.mark.e2e
SCRIPT = Path(__file__).parents[2] / "field_node" / "web" / "static" / "phone_checks.js"


@pytest.fixture(scope="module")
def page():
    with script_page(SCRIPT) as tab:
        yield tab


def test_the_phone_finds_the_numbers_the_station_and_the_hub_find(page):
    texts = [text for text, _ in SAMPLES]
    found = page.evaluate("(texts) => texts.map((t) => window.FieldsyncPhone.numbersInText(t))", texts)
    expected = [[{"kind": f.kind, "start": f.start, "end": f.end} for f in free_text.find(text)] for text in texts]
    assert found == expected


def test_the_phone_says_what_the_station_says(page):
    texts = ["户主腰伤", f"身份证{ID18}", "电话13812345678", f"13812345678 {ID18}"]
    said = page.evaluate("(texts) => texts.map((t) => window.FieldsyncPhone.textProblem(t))", texts)
    assert said == [free_text.problem(text) for text in texts]
