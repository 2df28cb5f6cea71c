-- Interest from the public job pages (我想报名, on the hub or a station's Wi-Fi) is anonymous: a lead, matched to a
-- roster person only as a suggestion.  It counts toward the person's three recommendations a quarter only once a
-- county or township user confirms it (issue 12); who confirmed and when is kept here and in the audit log.
ALTER TABLE interest ADD COLUMN confirmed_by TEXT;
ALTER TABLE interest ADD COLUMN confirmed_at {TS}
