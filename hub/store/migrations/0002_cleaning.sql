-- Cleaning runs (DOMAIN.md §6–§8): person checks computed once when data arrive, runs, anomalies, settings.

ALTER TABLE person ADD COLUMN id_problem TEXT NOT NULL DEFAULT '';
ALTER TABLE person ADD COLUMN phone_problem TEXT NOT NULL DEFAULT '';
ALTER TABLE person ADD COLUMN checked {BOOL} NOT NULL DEFAULT {FALSE};

CREATE TABLE cleaning_run (
    id {ID},
    started_at {TS} NOT NULL,
    finished_at {TS},
    period TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    settings TEXT NOT NULL,
    counts TEXT NOT NULL DEFAULT '{EMPTY}',
    opened INTEGER NOT NULL DEFAULT 0,
    closed INTEGER NOT NULL DEFAULT 0
);

-- One row per problem, kept from run to run under a stable key (rule + subject).
-- status: open | answered | closed. An answer "correct" holds until the digest of the data changes.
CREATE TABLE anomaly (
    id {ID},
    key TEXT NOT NULL UNIQUE,
    rule TEXT NOT NULL,
    township_id BIGINT REFERENCES township (id),
    village_id BIGINT REFERENCES village (id),
    household_id BIGINT REFERENCES household (id),
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    digest TEXT NOT NULL,
    status TEXT NOT NULL,
    answer TEXT,
    answered_at {TS},
    first_run_id BIGINT NOT NULL REFERENCES cleaning_run (id),
    last_run_id BIGINT NOT NULL REFERENCES cleaning_run (id),
    opened_at {TS} NOT NULL,
    closed_at {TS}
);
CREATE INDEX anomaly_place ON anomaly (township_id, village_id, status);
CREATE INDEX anomaly_rule ON anomaly (rule, status);

CREATE TABLE cleaning_setting (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE INDEX person_household ON person (household_id);
CREATE INDEX visit_employment_id_number ON visit_employment (id_number)
