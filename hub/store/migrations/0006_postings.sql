-- Job postings and the interest job-seekers register in them (issue 5). Every row projects a signed record.

-- One row per posting record (a version). The current version of a posting is the one not superseded.
-- held: pay below the county's minimum wage, waits for a county decision (approved / refused) before it shows.
-- group_id: the posting row that stands for the same job posted elsewhere (recognised at the hub).
-- block_a, block_b: the employer's first and last two syllables; only postings sharing one are compared.
-- change_seq: the distribution cursor nodes pull by (never a time).
CREATE TABLE posting (
    id {ID},
    record_id BIGINT NOT NULL UNIQUE REFERENCES record (id),
    node_id BIGINT NOT NULL REFERENCES node (id),
    posting_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    employer TEXT NOT NULL,
    title TEXT NOT NULL,
    township TEXT,
    village TEXT,
    place TEXT NOT NULL,
    pay BIGINT NOT NULL,
    pay_unit TEXT NOT NULL,
    headcount BIGINT NOT NULL,
    period_start TEXT,
    period_end TEXT,
    requirements TEXT,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    status TEXT NOT NULL,
    held {BOOL} NOT NULL,
    decision TEXT,
    group_id BIGINT,
    block_a TEXT NOT NULL,
    block_b TEXT NOT NULL,
    superseded_by BIGINT,
    change_seq BIGINT NOT NULL,
    received_at {TS} NOT NULL
);
CREATE INDEX posting_current ON posting (posting_id, superseded_by);
CREATE INDEX posting_change ON posting (change_seq);
CREATE INDEX posting_block_a ON posting (block_a, superseded_by);
CREATE INDEX posting_block_b ON posting (block_b, superseded_by);

-- "我想报名": who showed interest in which posting, matched to a roster person where possible.
CREATE TABLE interest (
    id {ID},
    record_id BIGINT NOT NULL UNIQUE REFERENCES record (id),
    node_id BIGINT NOT NULL REFERENCES node (id),
    posting_id TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    village TEXT NOT NULL,
    id_number TEXT,
    interest_date TEXT NOT NULL,
    channel TEXT NOT NULL,
    person_id BIGINT REFERENCES person (id),
    received_at {TS} NOT NULL
);
CREATE INDEX interest_posting ON interest (posting_id);
CREATE INDEX interest_person ON interest (person_id, interest_date);

CREATE TABLE posting_clock (
    id INTEGER PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO posting_clock (id, value) VALUES (1, 0)
