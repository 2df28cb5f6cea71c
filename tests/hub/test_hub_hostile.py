"""Hostile input at the hub's doors: the public posting page and 我想报名 form, and broken import files.  Nothing
gets a 500 or a stack trace, and nothing personal comes back in a reply."""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub import own_records
from hub.department_lists import import_list
from hub.postings.importer import import_postings
from hub.roster import import_roster
from shared.errors import FieldsyncError
from shared.postings import new_posting_id
from tests.hub.postings.test_hub_postings import posting_body
from tests.hub.test_hub_table_imports import many_rows, one_string, write_xlsx
from tests.support import import_county

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
text = st.text(st.characters(codec="utf-8"), max_size=300)


@pytest.fixture
def posting(app, hub_db, tmp_path):
    import_county(tmp_path)
    app.config["INTEREST_RATE_LIMIT"] = "100000/minute"
    body = posting_body()
    own_records.sign("posting", body)
    return body


def assert_clean(reply) -> None:
    body = reply.get_data(as_text=True)
    assert reply.status_code < 500, body[:300]
    assert "Traceback" not in body and "File \"" not in body


@FUZZ
@given(path=st.text(st.characters(codec="ascii", exclude_categories=["Cc"]), min_size=1, max_size=80))
def test_random_public_paths(anonymous, posting, path):
    for url in (f"/j/{path}", f"/j/{path}/qr.svg", f"/j/{path}/poster?size={path}", f"/jobs?{path}"):
        assert_clean(anonymous.get(url))


@FUZZ
@given(name=text, phone=text, village=text, id_number=text, extra=st.dictionaries(text, text, max_size=3))
def test_random_interest_forms(anonymous, posting, name, phone, village, id_number, extra):
    reply = anonymous.post(f"/j/{posting['posting_id']}/interest",
                           data={**extra, "name": name, "phone": phone, "village": village, "id_number": id_number})
    assert_clean(reply)
    assert not re.search(r'name="id_number"[^>]*value=', reply.get_data(as_text=True))  # never sent back


def broken_files(folder: Path) -> list[Path]:
    files = []
    for name, content in (("random.csv", os.urandom(2000)), ("random.xlsx", os.urandom(2000)),
                          ("empty.csv", b""), ("gbk.csv", "户编号,姓名\n1,张三\n".encode("gbk")),
                          ("header-only.csv", "\ufeff户编号\n".encode()), ("notes.txt", b"hello"),
                          ("random.xls", os.urandom(2000)), ("random.ods", os.urandom(2000)),
                          ("semicolons.csv", "户编号;姓名;证件号码\n1;张三;1\n".encode()),
                          ("nul.csv", b"\x00" * 100)):
        path = folder / name
        path.write_bytes(content)
        files.append(path)
    truncated = folder / "truncated.xlsx"
    with zipfile.ZipFile(truncated, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
    truncated.write_bytes(truncated.read_bytes()[:40])
    bomb = write_xlsx(folder / "rows.xlsx", many_rows(2_000_000), one_string(0))  # 2,000,000 rows in 128 KB
    return [*files, truncated, bomb]


def test_broken_files_get_a_message_not_a_crash(app, hub_db, tmp_path):
    importers = [import_roster, import_postings, lambda path: import_list("death", path, "2026-10")]
    for path in broken_files(tmp_path):
        for importer in importers:
            try:
                report = importer(path)
            except FieldsyncError as error:
                assert error.message and "Traceback" not in error.message
            else:
                assert report.errors or not getattr(report, "rows", 0), (importer, path.name)


def test_a_posting_id_from_the_url_never_reaches_a_query_unchecked(anonymous, posting):
    for probe in ("' OR 1=1 --", "%00", "../" * 10, new_posting_id().upper(), "x" * 5000):
        assert_clean(anonymous.get(f"/j/{probe}"))
