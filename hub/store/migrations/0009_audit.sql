-- The audit trail (hub/audit.py): every change appends one entry, each hashed over its content and the hash of
-- the entry before it, so that a changed or deleted entry is detectable by fieldsync-hub audit verify.
-- seq counts 1, 2, 3 with no gaps. audit_head is one row holding the last seq and hash: appends update it
-- first, which serialises concurrent writers (a row lock on PostgreSQL) and lets verify notice a deleted tail.

CREATE TABLE audit_log (
    id {ID},
    seq BIGINT NOT NULL UNIQUE,
    at {TS} NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    why TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE INDEX audit_log_subject ON audit_log (subject)
