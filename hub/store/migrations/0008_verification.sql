-- County users and roles, API tokens for other county systems, and verification in the field (issue 6).

-- role: admin | staff (county-wide) | township (one township, township_id) | viewer (reads only).
CREATE TABLE county_user (
    id {ID},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    township_id BIGINT REFERENCES township (id),
    active {BOOL} NOT NULL DEFAULT {TRUE},
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until {TS},
    created_at {TS} NOT NULL
);

-- A token for another county system, scoped like a user. Only its SHA-256 is kept.
CREATE TABLE api_token (
    id {ID},
    name TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    township_id BIGINT REFERENCES township (id),
    active {BOOL} NOT NULL DEFAULT {TRUE},
    created_at {TS} NOT NULL
);

-- A household to check on site: for an anomaly the township sent to the field, or drawn for a spot check.
-- Stations of the household's village pull open tasks (change_seq is their cursor) and answer with a signed
-- verification record, which closes the task.
CREATE TABLE verification_task (
    id {ID},
    household_id BIGINT NOT NULL REFERENCES household (id),
    anomaly_id BIGINT REFERENCES anomaly (id),
    spot_check_id BIGINT,
    question TEXT NOT NULL,
    status TEXT NOT NULL,
    sent_by TEXT NOT NULL,
    sent_at {TS} NOT NULL,
    change_seq BIGINT NOT NULL,
    answer TEXT,
    answer_note TEXT,
    answered_by TEXT,
    answered_at {TS},
    answer_record_id BIGINT REFERENCES record (id)
);
CREATE INDEX verification_task_household ON verification_task (household_id, status);
CREATE INDEX verification_task_change ON verification_task (change_seq);

-- A month's spot check: the seed it was drawn from is kept, so anyone can redraw the same sample.
CREATE TABLE spot_check (
    id {ID},
    month TEXT NOT NULL UNIQUE,
    seed TEXT NOT NULL,
    per_township BIGINT NOT NULL,
    drawn_by TEXT NOT NULL,
    drawn_at {TS} NOT NULL
);

CREATE TABLE task_clock (
    id INTEGER PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO task_clock (id, value) VALUES (1, 0);

ALTER TABLE anomaly ADD COLUMN answer_note TEXT;
ALTER TABLE anomaly ADD COLUMN answered_by TEXT
