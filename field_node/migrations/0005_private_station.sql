-- fieldsync field node schema, version 5: accounts scoped to their villages.

-- The villages (乡镇/村, JSON list) a station account works in: a member reads and writes only their households.
-- NULL: every village of the station (admins, and accounts made at the station before this version).
ALTER TABLE account ADD COLUMN villages TEXT;
