-- fieldsync field node schema, version 5: accounts scoped to their villages, and no readable ID number on the card.

-- The villages (乡镇/村, JSON list) a station account works in: a member reads and writes only their households.
-- NULL: every village of the station (admins, and accounts made at the station before this version).
ALTER TABLE account ADD COLUMN villages TEXT;

-- A stolen station card yields no citizen ID number (record format 2, docs/records.md).
-- The roster copy names persons by the hub's person key: no ID number, no phone, the birth month only.
-- The keys arrive with the next roster pull, which starts again from the beginning.
CREATE TABLE member_v5 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    household TEXT NOT NULL REFERENCES household (number) ON DELETE CASCADE,
    person_key TEXT NOT NULL,
    name TEXT NOT NULL,
    gender TEXT NOT NULL,
    birth_month TEXT,
    relation TEXT NOT NULL,
    labour_ability TEXT NOT NULL,
    student TEXT NOT NULL,
    status TEXT NOT NULL,
    dibao INTEGER NOT NULL,
    tekun INTEGER NOT NULL,
    relocated INTEGER NOT NULL,
    disabled INTEGER NOT NULL,
    search TEXT NOT NULL DEFAULT ''
);
INSERT INTO member_v5 (id, household, person_key, name, gender, birth_month, relation, labour_ability, student,
                       status, dibao, tekun, relocated, disabled, search)
SELECT id, household, '', name, gender, substr(birth_date, 1, 7), relation, labour_ability, student, status,
       dibao, tekun, relocated, disabled, search FROM member;
DROP TABLE member;
ALTER TABLE member_v5 RENAME TO member;
CREATE INDEX member_household ON member (household);
DELETE FROM state WHERE key = 'roster_cursor';

-- Numbers typed into unsaved visit forms (drafts) go: type them again.
UPDATE draft SET fields = json_remove(fields, '$.change_0_id_number', '$.change_1_id_number', '$.change_2_id_number');

-- Records of format 1 still hold ID numbers in their signed bytes: pending ones reach the hub intact, and once the
-- hub has acknowledged one, the station blanks its numbers (redacted = 1, never sent again).
ALTER TABLE record ADD COLUMN redacted INTEGER NOT NULL DEFAULT 0
