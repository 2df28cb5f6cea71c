-- Family changes noted at visits (birth, death, moving, new member), one row per change. A number typed at the
-- visit arrives sealed to the hub's key (record format 2) and is stored here opened: the county needs it to add
-- the person to the roster. id_unreadable: a sealed number the hub's key could not open (kept in the record).
CREATE TABLE visit_change (
    id {ID},
    visit_id BIGINT NOT NULL REFERENCES visit (id),
    type TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    id_number TEXT,
    id_unreadable {BOOL} NOT NULL DEFAULT {FALSE},
    change_date TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX visit_change_visit ON visit_change (visit_id)
