-- The region level (issue 17, docs/upward.md): each city's newest statement of its counties' upward keys, one row
-- per county.  county is the county's signer number at the city; node_id is the county as the region's tables name
-- it (upward_station, upward_forwarded, upward_month, upward_person): a node of level 'county' with no key and no
-- enrolment code, so it can never sign in — its records reach the region only through its city.
CREATE TABLE upward_relay (
    id {ID},
    city_id BIGINT NOT NULL REFERENCES node (id),
    county INTEGER NOT NULL,
    node_id BIGINT NOT NULL REFERENCES node (id),
    name TEXT NOT NULL,
    public_key {BLOB} NOT NULL,
    revoked {BOOL} NOT NULL DEFAULT {FALSE},
    held BIGINT NOT NULL DEFAULT 0,
    record_id BIGINT NOT NULL REFERENCES record (id),
    UNIQUE (city_id, county)
);
