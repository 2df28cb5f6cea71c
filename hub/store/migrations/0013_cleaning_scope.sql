-- Cleaning runs tell the truth about what they examined (issue 11).
--
-- anomaly.scope: what a finding is about in time — the month (YYYY-MM) or year (YYYY) whose data it rests on,
-- or '' for the household's current state. A run closes an anomaly only when it re-examined the anomaly's scope
-- for its rule (hub/cleaning/runner.py), so running this month never closes last month's "not visited".
ALTER TABLE anomaly ADD COLUMN scope TEXT NOT NULL DEFAULT '';
-- Rules whose keys already end with the month they examined.
UPDATE anomaly SET scope = substr(key, length(key) - 6, 7) WHERE rule IN ('P5', 'P9', 'P11', 'I4', 'I6');
-- P4 (the year's work) and X3 (the period's visits) now carry their scope in the key, so a finding of one
-- year or month is never overwritten by the next: old keys take the scope of the run that last found them.
UPDATE anomaly SET scope = (SELECT substr(r.period, 1, 4) FROM cleaning_run r WHERE r.id = anomaly.last_run_id)
    WHERE rule = 'P4';
UPDATE anomaly SET scope = (SELECT r.period FROM cleaning_run r WHERE r.id = anomaly.last_run_id) WHERE rule = 'X3';
UPDATE anomaly SET key = key || ':' || scope WHERE rule IN ('P4', 'X3');
CREATE INDEX anomaly_scope ON anomaly (rule, scope);

-- The record's explicit confirmations that figures are unchanged from last month (body.unchanged, comma-separated
-- item names of shared/schemas.py UNCHANGED_ITEMS), so P11 tells confirmed figures from silent copies.
ALTER TABLE visit ADD COLUMN unchanged TEXT NOT NULL DEFAULT ''
