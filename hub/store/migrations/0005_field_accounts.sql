-- Station accounts made by the county for a village's grid members, pulled by every station serving the village.

CREATE TABLE field_account (
    id {ID},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    village_id BIGINT NOT NULL REFERENCES village (id),
    active {BOOL} NOT NULL DEFAULT {TRUE},
    changed_at {TS} NOT NULL
);
CREATE INDEX field_account_village ON field_account (village_id)
