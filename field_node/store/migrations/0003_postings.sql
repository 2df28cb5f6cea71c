-- fieldsync field node schema, version 3: job postings for the station's board and public pages.
-- The station's own postings (signed here) and those the hub sends (county-wide and this township's).
-- published = 0 keeps a posting off the board: held by the county (pay below its minimum wage) or refused.
-- group_id is the posting that stands for the same job posted elsewhere: the board shows each job once.
CREATE TABLE posting (
    posting_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    employer TEXT NOT NULL,
    title TEXT NOT NULL,
    township TEXT,
    village TEXT,
    place TEXT NOT NULL,
    pay INTEGER NOT NULL,
    pay_unit TEXT NOT NULL,
    headcount INTEGER NOT NULL,
    period_start TEXT,
    period_end TEXT,
    requirements TEXT,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    status TEXT NOT NULL,
    published INTEGER NOT NULL,
    source TEXT NOT NULL,
    group_id TEXT NOT NULL,
    local_seq INTEGER,
    updated_at TEXT NOT NULL
);
CREATE INDEX posting_board ON posting (published, status, valid_until)
