-- Pushes of a station that keep failing (a batch the hub refuses, an error while storing it) are counted, so the
-- county sees the station in `fieldsync-hub nodes` and on the overview page; a stored push resets the count.
ALTER TABLE node ADD COLUMN push_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE node ADD COLUMN last_push_error TEXT;
ALTER TABLE node ADD COLUMN last_push_failed_at {TS}
