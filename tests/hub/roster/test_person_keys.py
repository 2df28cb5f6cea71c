"""Persons found by person key through the indexed ``person.person_key`` column (migration 0032): written at
import and by a correction of the ID number, filled for existing rows by `fieldsync-hub migrate`, and what
``sealing_keys._resolve`` looks a key up by (no scan of the county's persons)."""

from __future__ import annotations

from hub.cli import main
from hub.roster import persons, sealing_keys
from hub.store import db
from hub.store.models import Household, Person
from shared.idnumber import check_character


def keyed() -> dict[str, str]:
    return dict(Person.select(Person.id_number, Person.person_key).tuples())


def test_an_import_writes_every_persons_key(county):
    assert keyed() and all(key == sealing_keys.person_key(number) for number, key in keyed().items())


def test_a_corrected_id_number_gets_its_own_key(county):
    person = Person.select().first()
    new_id = person.id_number[:6] + "19900101" + "123"
    new_id += check_character(new_id)
    persons.correct_person("user:admin", person, {"id_number": new_id}, {"id_number": person.id_number},
                           f"household:{person.household.number}", "户口簿核对")
    assert Person.get_by_id(person.id).person_key == sealing_keys.person_key(new_id)


def test_a_person_who_left_the_household_is_found_by_the_column(county):
    """The lookup reads the column: a key written there finds its person even though it is not the HMAC of the
    number (a scan that hashes every ID number, as before, would not find it)."""
    person = Person.select().order_by(Person.id.desc()).first()
    Person.update(person_key="p" + "a" * 43).where(Person.id == person.id).execute()
    assert sealing_keys._resolve("p" + "a" * 43, {}) == person.id_number
    assert sealing_keys._resolve("p" + "b" * 43, {}) == "p" + "b" * 43  # no such person: kept as it is


def test_rows_still_without_a_key_are_filled_at_the_first_lookup(county):
    person = Person.select().first()
    db.database.execute_sql("UPDATE person SET person_key = ''")
    assert sealing_keys._resolve(sealing_keys.person_key(person.id_number), {}) == person.id_number
    assert all(key == sealing_keys.person_key(number) for number, key in keyed().items())


def test_the_migration_adds_the_column_and_migrate_fills_existing_rows(app, tmp_path, runner):
    """A hub of the release before 0032: its persons have no key column; `fieldsync-hub migrate` adds it (indexed)
    and writes every existing person's key."""
    from tests.support import import_county

    with app.app_context(), db.database.connection_context():
        import_county(tmp_path)
        numbers = [number for (number,) in Person.select(Person.id_number).tuples()]
        db.database.execute_sql("DROP INDEX person_person_key")
        db.database.execute_sql("ALTER TABLE person DROP COLUMN person_key")
        db.database.execute_sql("DELETE FROM schema_version WHERE version = 32")
    args = ["--data-dir", app.config["DATA_DIR"], "--database-url", app.config["DATABASE_URL"]]
    done = runner.invoke(main, [*args, "migrate"])
    assert done.exit_code == 0, done.output
    assert "已应用迁移 0032 person_key" in done.output and f"已为 {len(numbers)} 名人员写入人员密钥" in done.output
    with app.app_context(), db.database.connection_context():
        assert sorted(keyed()) == sorted(numbers) and Household.select().count() > 0
        assert all(key == sealing_keys.person_key(number) for number, key in keyed().items())
        assert "person_person_key" in {index.name for index in db.database.get_indexes("person")}
    again = runner.invoke(main, [*args, "migrate"])
    assert again.exit_code == 0 and "人员密钥" not in again.output
