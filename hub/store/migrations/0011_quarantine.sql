-- A node whose key wrote two different records at one sequence number, or broke its own chain (a copied SD card),
-- is quarantined: its requests are refused until the county has looked and releases it.
ALTER TABLE node ADD COLUMN quarantined_at {TS};
ALTER TABLE node ADD COLUMN quarantine_reason TEXT
