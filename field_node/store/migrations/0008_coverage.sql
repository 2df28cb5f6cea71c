-- fieldsync field node schema, version 8: each household's visit status per month, for the landing page.
-- status: 1 contacted by phone or WeChat, 2 visited in person; no row: not yet.  Only effective visits count
-- (the latest version of each, from a record the hub has not rejected).  The node keeps a row up to date in
-- the transaction that saves, corrects or rejects a visit (field_node/visits.py refresh_coverage), so the page
-- a grid member opens first no longer works out 2,000 households' status on every request.
CREATE TABLE coverage (
    household TEXT NOT NULL,
    month TEXT NOT NULL,
    status INTEGER NOT NULL,
    PRIMARY KEY (household, month)
) WITHOUT ROWID;

INSERT INTO coverage (household, month, status)
SELECT visit.household, visit.month, MAX(CASE WHEN visit.method = 'in_person' THEN 2 ELSE 1 END)
FROM visit JOIN record ON record.seq = visit.seq
WHERE visit.superseded_by IS NULL AND record.status != 'rejected'
GROUP BY visit.household, visit.month;

-- Indexes no query of the node reads any more (the coverage list used visit_month; nothing looks records up
-- by household): every saved visit wrote a page of each to the SD card, and the checkpoint wrote it again.
DROP INDEX record_household;
DROP INDEX visit_month;
