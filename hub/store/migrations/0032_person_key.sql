-- Each person's person key (the HMAC of the ID number under the hub's sealing secret, hub/roster/sealing_keys.py),
-- so a record that names a person by key finds them by an indexed lookup instead of hashing every ID number of
-- the county.  SQL cannot compute the key (the secret is in the data folder, seal.key): existing rows start empty
-- and are filled by `fieldsync-hub migrate` right after this migration (sealing_keys.fill_person_keys), and, for a
-- database migrated otherwise, by the first lookup that meets an empty key.  Imports and corrections write it.
ALTER TABLE person ADD COLUMN person_key TEXT NOT NULL DEFAULT '';
CREATE INDEX person_person_key ON person (person_key);
