-- County side (issue 17): each push-up to the city and how it ended, for the county's page of its upward state
-- (hub/upward/push.py owns the table; the command line and the worker's hourly task both write it).
CREATE TABLE upward_push (
    id {ID},
    started_at {TS} NOT NULL,
    finished_at {TS} NOT NULL,
    actor TEXT NOT NULL,
    outcome TEXT NOT NULL,
    code TEXT,
    sent BIGINT NOT NULL DEFAULT 0,
    duplicates BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    resent BIGINT NOT NULL DEFAULT 0,
    staged BIGINT NOT NULL DEFAULT 0,
    batches BIGINT NOT NULL DEFAULT 0,
    bytes_sent BIGINT NOT NULL DEFAULT 0
);
