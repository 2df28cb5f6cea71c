-- Checks only a city can make (issue 17, docs/upward.md).

-- County side: what the county has told the city it holds, so that each push-up sends only the changes — new or
-- changed persons, and withdrawals of those gone.  topic 'roster': a person of the roster (value: household
-- number); topic 'transferred:YYYY-MM': a labourer in transferred employment that month (value: place of work).
CREATE TABLE upward_person_sent (
    id {ID},
    topic TEXT NOT NULL,
    person TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (topic, person)
);

-- City side: the station's chain link of each forwarded record, and a visit's household (the city recomputes
-- the county's coverage from the records).  NULL on rows forwarded before this migration.
ALTER TABLE upward_forwarded ADD COLUMN prev {BLOB};
ALTER TABLE upward_forwarded ADD COLUMN household TEXT;

-- City side: station records that stay at the county, by hash (signed in plain, or refused by the county).
CREATE TABLE upward_kept (
    id {ID},
    county_id BIGINT NOT NULL REFERENCES node (id),
    station INTEGER NOT NULL,
    station_seq BIGINT NOT NULL,
    prev {BLOB} NOT NULL,
    hash {BLOB} NOT NULL,
    reason TEXT NOT NULL,
    kind TEXT NOT NULL,
    month TEXT,
    household TEXT,
    record_id BIGINT NOT NULL REFERENCES record (id),
    UNIQUE (county_id, station, station_seq)
);

-- City side: a person's latest word from the county (added, or withdrawn when gone from the roster) by the county's
-- upward seq, so that changes applied out of order (kind by kind in one batch) end as the county said last.
ALTER TABLE upward_person ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE upward_person ADD COLUMN withdrawn {BOOL} NOT NULL DEFAULT {FALSE};

-- City side: labourers each county counts as in transferred employment in a month, by keyed hash.
CREATE TABLE upward_transferred (
    id {ID},
    county_id BIGINT NOT NULL REFERENCES node (id),
    month TEXT NOT NULL,
    person TEXT NOT NULL,
    place TEXT NOT NULL,
    seq BIGINT NOT NULL,
    withdrawn {BOOL} NOT NULL DEFAULT {FALSE},
    UNIQUE (county_id, month, person)
);
CREATE INDEX upward_transferred_month ON upward_transferred (month, person);
