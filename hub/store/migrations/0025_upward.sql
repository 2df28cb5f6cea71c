-- Reporting upward (issue 17, docs/upward.md).  node.level: 'station' for a village station, 'county' for a county
-- hub enrolled at a city hub (same table, same enrolment, same ingest).
ALTER TABLE node ADD COLUMN level TEXT NOT NULL DEFAULT 'station';

-- County side: the city this county reports to (one row), its signer number there and the request counter.
CREATE TABLE upward_link (
    id {ID},
    city_url TEXT NOT NULL,
    signer_id BIGINT NOT NULL,
    public_key {BLOB} NOT NULL,
    request_counter BIGINT NOT NULL DEFAULT 0,
    enrolled_at {TS} NOT NULL
);

-- County side: the upward outbox, one chain signed by the upward key.  source names what a record stands for
-- (a forwarded record, a month's figures with their digest ...) so nothing is staged twice.
CREATE TABLE upward_record (
    id {ID},
    seq BIGINT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    source TEXT NOT NULL UNIQUE,
    prev {BLOB} NOT NULL,
    hash {BLOB} NOT NULL,
    content {BLOB} NOT NULL,
    signature {BLOB} NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    reason TEXT,
    created_at {TS} NOT NULL
);
CREATE INDEX upward_record_status ON upward_record (status, seq);

-- City side: the latest statement of each county's stations, one row per station.
CREATE TABLE upward_station (
    id {ID},
    county_id BIGINT NOT NULL REFERENCES node (id),
    station INTEGER NOT NULL,
    name TEXT NOT NULL,
    public_key {BLOB} NOT NULL,
    villages TEXT NOT NULL,
    revoked {BOOL} NOT NULL DEFAULT {FALSE},
    held BIGINT NOT NULL DEFAULT 0,
    record_id BIGINT NOT NULL REFERENCES record (id),
    UNIQUE (county_id, station)
);

-- City side: station records forwarded by a county, verified against the statement.
CREATE TABLE upward_forwarded (
    id {ID},
    county_id BIGINT NOT NULL REFERENCES node (id),
    station INTEGER NOT NULL,
    station_seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    month TEXT,
    hash {BLOB} NOT NULL,
    record_id BIGINT NOT NULL REFERENCES record (id),
    UNIQUE (county_id, station, station_seq)
);

-- City side: a county's figures of a month (the newest record wins), as the county signed them.
CREATE TABLE upward_month (
    id {ID},
    county_id BIGINT NOT NULL REFERENCES node (id),
    month TEXT NOT NULL,
    figures TEXT NOT NULL,
    record_id BIGINT NOT NULL REFERENCES record (id),
    first_received_at {TS} NOT NULL,
    received_at {TS} NOT NULL,
    UNIQUE (county_id, month)
);

-- City side: persons of each county's roster by their keyed hash under the region person key.
CREATE TABLE upward_person (
    id {ID},
    county_id BIGINT NOT NULL REFERENCES node (id),
    person TEXT NOT NULL,
    household TEXT NOT NULL,
    UNIQUE (county_id, person)
);
CREATE INDEX upward_person_person ON upward_person (person);
