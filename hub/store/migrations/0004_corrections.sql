-- Corrections: a visit replaced by a later record that names it (body.corrects) keeps its row, marked with
-- the visit that superseded it. Pages, exports and cleaning rules read the latest version only.

ALTER TABLE visit ADD COLUMN superseded_by BIGINT;
CREATE INDEX record_hash ON record (hash);
CREATE INDEX visit_current ON visit (household_id, month, superseded_by)
