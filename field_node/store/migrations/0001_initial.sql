-- fieldsync field node schema, version 1: its signed records (the outbox), its state, the roster copy.

-- Every record this node signed, in sequence order. status: pending | sent | rejected.
CREATE TABLE record (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    household TEXT,
    month TEXT,
    prev BLOB NOT NULL,
    content BLOB NOT NULL,
    signature BLOB NOT NULL,
    hash BLOB NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    error_details TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX record_status ON record (status, seq);
CREATE INDEX record_household ON record (household, month);

CREATE TABLE state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE household (
    number TEXT PRIMARY KEY,
    township TEXT NOT NULL,
    village TEXT NOT NULL,
    household_type TEXT NOT NULL,
    monitoring_type TEXT NOT NULL,
    monitoring_since TEXT
);
CREATE INDEX household_village ON household (village);

CREATE TABLE member (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    household TEXT NOT NULL REFERENCES household (number) ON DELETE CASCADE,
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    gender TEXT NOT NULL,
    birth_date TEXT,
    relation TEXT NOT NULL,
    labour_ability TEXT NOT NULL,
    student TEXT NOT NULL,
    phone TEXT NOT NULL,
    status TEXT NOT NULL,
    dibao INTEGER NOT NULL,
    tekun INTEGER NOT NULL,
    relocated INTEGER NOT NULL,
    disabled INTEGER NOT NULL
);
CREATE INDEX member_household ON member (household);
