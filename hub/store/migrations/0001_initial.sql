-- fieldsync hub schema, version 1: the county's places and roster, field nodes, signed records.

CREATE TABLE county (
    id {ID},
    name TEXT NOT NULL
);

CREATE TABLE township (
    id {ID},
    name TEXT NOT NULL UNIQUE,
    position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE village (
    id {ID},
    township_id BIGINT NOT NULL REFERENCES township (id),
    name TEXT NOT NULL,
    UNIQUE (township_id, name)
);

-- A counter that only grows: every roster change takes the next value, nodes pull "changes since".
CREATE TABLE roster_clock (
    id INTEGER PRIMARY KEY,
    value {BIGINT} NOT NULL
);
INSERT INTO roster_clock (id, value) VALUES (1, 0);

CREATE TABLE household (
    id {ID},
    number TEXT NOT NULL UNIQUE,
    village_id BIGINT NOT NULL REFERENCES village (id),
    previous_village_id BIGINT REFERENCES village (id),
    household_type TEXT NOT NULL,
    monitoring_type TEXT NOT NULL DEFAULT '',
    monitoring_since TEXT,
    digest TEXT NOT NULL,
    change_seq {BIGINT} NOT NULL
);
CREATE INDEX household_village ON household (village_id, change_seq);
CREATE INDEX household_previous_village ON household (previous_village_id);
CREATE INDEX household_change ON household (change_seq, id);

CREATE TABLE person (
    id {ID},
    household_id BIGINT NOT NULL REFERENCES household (id),
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    name_pinyin TEXT NOT NULL,
    gender TEXT NOT NULL,
    birth_date TEXT,
    relation TEXT NOT NULL DEFAULT '',
    labour_ability TEXT NOT NULL DEFAULT '',
    student TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    dibao {BOOL} NOT NULL,
    tekun {BOOL} NOT NULL,
    relocated {BOOL} NOT NULL,
    disabled {BOOL} NOT NULL,
    status TEXT NOT NULL,
    UNIQUE (household_id, id_number)
);
CREATE INDEX person_id_number ON person (id_number);

CREATE TABLE node (
    id {ID},
    name TEXT NOT NULL UNIQUE,
    public_key {BLOB},
    enrolment_code_hash TEXT,
    enrolment_expires_at {TS},
    enrolled_at {TS},
    revoked_at {TS},
    last_counter {BIGINT} NOT NULL DEFAULT 0,
    hwm {BIGINT} NOT NULL DEFAULT 0,
    head {BIGINT} NOT NULL DEFAULT 0,
    last_seen_at {TS},
    created_at {TS} NOT NULL
);

CREATE TABLE node_village (
    id {ID},
    node_id BIGINT NOT NULL REFERENCES node (id),
    village_id BIGINT NOT NULL REFERENCES village (id),
    UNIQUE (node_id, village_id)
);

-- Every signed record the hub holds, exactly as it arrived. status: accepted | rejected (held as evidence).
CREATE TABLE record (
    id {ID},
    node_id BIGINT NOT NULL REFERENCES node (id),
    seq {BIGINT} NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    hash {BLOB} NOT NULL,
    prev {BLOB} NOT NULL,
    content {BLOB} NOT NULL,
    signature {BLOB} NOT NULL,
    household_id BIGINT REFERENCES household (id),
    received_at {TS} NOT NULL,
    UNIQUE (node_id, seq)
);
CREATE INDEX record_household ON record (household_id);

-- The accepted visit records, one row each, in columns the cleaning rules can query.
CREATE TABLE visit (
    id {ID},
    record_id BIGINT NOT NULL UNIQUE REFERENCES record (id),
    household_id BIGINT NOT NULL REFERENCES household (id),
    month TEXT NOT NULL,
    visit_date TEXT NOT NULL,
    visitor TEXT NOT NULL,
    method TEXT NOT NULL,
    wage {BIGINT} NOT NULL,
    business {BIGINT} NOT NULL,
    property {BIGINT} NOT NULL,
    transfer {BIGINT} NOT NULL,
    expenses {BIGINT} NOT NULL,
    ack_status TEXT NOT NULL,
    risks TEXT NOT NULL DEFAULT '',
    corrects TEXT,
    received_at {TS} NOT NULL
);
CREATE INDEX visit_household_month ON visit (household_id, month);
CREATE INDEX visit_month ON visit (month);

CREATE TABLE visit_employment (
    id {ID},
    visit_id BIGINT NOT NULL REFERENCES visit (id),
    id_number TEXT NOT NULL,
    place TEXT NOT NULL,
    province TEXT NOT NULL DEFAULT '',
    months INTEGER NOT NULL,
    wage {BIGINT} NOT NULL
);
CREATE INDEX visit_employment_visit ON visit_employment (visit_id);

CREATE TABLE alarm (
    id {ID},
    node_id BIGINT NOT NULL REFERENCES node (id),
    code TEXT NOT NULL,
    seq {BIGINT},
    detail TEXT NOT NULL,
    evidence {BLOB},
    created_at {TS} NOT NULL,
    resolved_at {TS}
);
CREATE INDEX alarm_node ON alarm (node_id, resolved_at);
