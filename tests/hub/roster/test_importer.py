"""Roster import (DOMAIN.md §10): CSV or XLSX, Chinese or English headers, bad rows reported, idempotent."""

from __future__ import annotations

import csv

import pytest

from devtools import synthetic
from hub.roster.importer import CHECKING, READING, WRITING, import_roster
from hub.store.models import Household, Person, RosterClock
from shared.errors import FieldsyncError
from shared.roster import ROSTER_COLUMNS

VILLAGES = synthetic.default_villages(1)[:2]


@pytest.fixture
def rows():
    return synthetic.generate_roster(11, VILLAGES, 6)


def counts() -> tuple[int, int, int]:
    return Household.select().count(), Person.select().count(), RosterClock.get_by_id(1).value


@pytest.mark.parametrize(("writer", "suffix", "chinese"), [
    (synthetic.write_roster_csv, ".csv", True), (synthetic.write_roster_csv, ".csv", False),
    (synthetic.write_roster_xlsx, ".xlsx", True), (synthetic.write_roster_xlsx, ".xlsx", False)])
def test_every_format_imports_the_same_people(hub_db, tmp_path, rows, writer, suffix, chinese):
    path = tmp_path / f"roster{suffix}"
    writer(rows, path, chinese_headers=chinese)
    report = import_roster(path)
    assert not report.errors and report.rows == len(rows)
    assert report.households_created == len({r["household_id"] for r in rows})
    assert Person.select().count() == len(rows)
    stored = {p.id_number: p for p in Person.select()}
    for row in rows:
        person = stored[row["id_number"]]
        assert (person.name, person.gender, person.birth_date) == (row["name"], row["gender"], row["birth_date"])
        assert person.name_pinyin and person.name_pinyin.isascii()
    assert sorted(report.villages_created) == sorted(f"{t}/{v}" for t, v in VILLAGES)


def test_importing_the_same_file_twice_changes_nothing(hub_db, tmp_path, rows):
    path = tmp_path / "roster.csv"
    synthetic.write_roster_csv(rows, path)
    import_roster(path)
    before = counts()
    report = import_roster(path)
    assert counts() == before
    assert report.households_unchanged == before[0] and report.households_created == report.households_changed == 0


def test_a_bad_row_is_reported_and_the_rest_imports(hub_db, tmp_path, rows):
    broken = [dict(row) for row in rows]
    broken[3]["id_number"] = "4.50224E+17"
    broken[5]["household_type"] = "贫困户"
    lost = broken[-1]["household_id"]
    for row in broken:
        if row["household_id"] == lost:
            row["township"] = "不存在镇"
    path = tmp_path / "roster.csv"
    synthetic.write_roster_csv(broken, path)
    report = import_roster(path)
    messages = {error.row: error.message for error in report.errors}
    assert "科学计数法" in messages[5] and "户类型" in messages[7]
    assert any("不存在镇" in error.message and error.row > 1 for error in report.errors)
    assert not Household.select().where(Household.number == lost).exists()
    expected = [r for i, r in enumerate(broken) if i not in (3, 5) and r["household_id"] != lost]
    assert Person.select().count() == len(expected)
    assert not Person.select().where(Person.id_number == "4.50224E+17").exists()


def test_a_half_read_household_keeps_its_members(hub_db, tmp_path, rows):
    path = tmp_path / "roster.csv"
    synthetic.write_roster_csv(rows, path)
    import_roster(path)
    household = rows[0]["household_id"]
    members = [r for r in rows if r["household_id"] == household]
    assert len(members) >= 2, "the generated first household must have two members or more"
    damaged = [dict(r, id_number="12345") if r is members[-1] else r for r in rows]
    synthetic.write_roster_csv(damaged, path)
    report = import_roster(path)
    assert report.errors
    assert Person.select().join(Household).where(Household.number == household).count() == len(members)


def test_a_checksum_error_is_imported_with_a_warning(hub_db, tmp_path, rows):
    changed = [dict(row) for row in rows]
    changed[0]["id_number"] = changed[0]["id_number"][:17] + ("0" if changed[0]["id_number"][17] != "0" else "1")
    path = tmp_path / "roster.csv"
    synthetic.write_roster_csv(changed, path)
    report = import_roster(path)
    assert not report.errors and "校验位" in report.warnings[0].message


def test_missing_columns_refuse_the_file_with_their_names(hub_db, tmp_path):
    path = tmp_path / "roster.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([[ROSTER_COLUMNS["household_id"], ROSTER_COLUMNS["name"]], ["1", "张三"]])
    with pytest.raises(FieldsyncError) as caught:
        import_roster(path)
    assert caught.value.code.name == "ROSTER_UNREADABLE" and "证件号码" in caught.value.message


@pytest.mark.parametrize(("name", "content"), [("roster.csv", "户编号,姓名\n".encode("gbk")),
                                               ("roster.xlsx", b"not a zip"), ("roster.txt", b"x")])
def test_unreadable_files_get_a_clear_message(hub_db, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FieldsyncError) as caught:
        import_roster(path)
    assert caught.value.code.name == "ROSTER_UNREADABLE"


def test_the_cli_reports_rows_and_exits_nonzero_on_errors(app, runner, tmp_path, rows, database_url):
    from hub.cli import main

    broken = [dict(row) for row in rows]
    broken[2]["id_number"] = "abc"
    path = tmp_path / "roster.csv"
    synthetic.write_roster_csv(broken, path)
    args = ["--data-dir", app.config["DATA_DIR"], "--database-url", database_url]
    result = runner.invoke(main, [*args, "import-roster", str(path)])
    assert result.exit_code == 2
    assert "未导入 第 4 行" in result.output and "其余已导入" in result.output


def test_the_importer_reports_its_progress_step_by_step(hub_db, tmp_path):
    rows = synthetic.generate_roster(5, VILLAGES, 300)  # over a thousand rows, over one chunk of households
    path = tmp_path / "roster.csv"
    synthetic.write_roster_csv(rows, path)
    heard: list[tuple[str, int, int]] = []
    report = import_roster(path, lambda step, done, total: heard.append((step, done, total)))
    assert [step for step, _, _ in heard][0] == READING
    checking = [(done, total) for step, done, total in heard if step == CHECKING]
    writing = [(done, total) for step, done, total in heard if step == WRITING]
    assert checking[-1] == (len(rows), len(rows)) and len(checking) >= 3
    households = report.households_created
    assert writing[-1] == (households, households) and len(writing) >= 3
    assert [step for step, _, _ in heard] == sorted((s for s, _, _ in heard), key=[READING, CHECKING, WRITING].index)
    for steps in (checking, writing):
        assert [done for done, _ in steps] == sorted(done for done, _ in steps)  # it only goes forward
