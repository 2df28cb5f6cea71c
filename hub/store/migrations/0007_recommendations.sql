-- Postings recommended to roster labourers (signed at the station, or by the county): with interest, they make
-- the labourer's employment-support ledger and count toward the three-per-labourer aim.
CREATE TABLE recommendation (
    id {ID},
    record_id BIGINT NOT NULL UNIQUE REFERENCES record (id),
    node_id BIGINT NOT NULL REFERENCES node (id),
    posting_id TEXT NOT NULL,
    person_id BIGINT REFERENCES person (id),
    id_number TEXT NOT NULL,
    recommended_on TEXT NOT NULL,
    note TEXT,
    received_at {TS} NOT NULL
);
CREATE INDEX recommendation_person ON recommendation (person_id, recommended_on);
CREATE INDEX recommendation_posting ON recommendation (posting_id)
