-- fieldsync field node schema, version 10: the offline station app on grid members' phones (issue 14).
-- phone_device: an offline session, started by 离线使用 at the station; the phone keeps the token, the station
-- only its SHA-256.  Uploads from the phone carry the token; sign-out deletes the account's rows.
CREATE TABLE phone_device (
    token_sha256 TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX phone_device_username ON phone_device (username);

-- phone_visit: each visit made on a phone, by the id the phone gave it when first saved.  Written in the
-- transaction that signs the visit, so a visit resent (a lost reply, a second tab, a reload) is stored once.
CREATE TABLE phone_visit (
    client_id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    seq INTEGER NOT NULL,
    received_at TEXT NOT NULL
) WITHOUT ROWID;

-- pinyin_reading: each common Chinese character's first reading, toneless (written by the sync process with the
-- roster, read by search): a name typed with a homophone (周兰平 for 周兰萍) is found by its pinyin, without the
-- web process loading the pinyin dictionary (about 55 MB).
CREATE TABLE pinyin_reading (
    char TEXT PRIMARY KEY,
    reading TEXT NOT NULL
) WITHOUT ROWID;
