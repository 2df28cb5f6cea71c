-- fieldsync field node schema, version 7: sessions that sign-out ends, lockouts per (user name, address).
-- session_epoch: part of the id kept in the session cookie; sign-out raises it (issue 12).
ALTER TABLE account ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;

-- Wrong passwords per typed user name (existing or not) and phone address; times are Unix seconds.
CREATE TABLE sign_in_failure (
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until REAL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (username, address)
);
