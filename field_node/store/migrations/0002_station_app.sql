-- fieldsync field node schema, version 2: the station app (accounts, visits for display, drafts, signatures).

-- Who may sign in at the station.  origin: node (created here by the station admin) | hub (pulled at sync).
CREATE TABLE account (
    username TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    origin TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until REAL,
    created_at TEXT NOT NULL
);

-- One row per visit record this node signed: what the pages show without parsing every record.
-- superseded_by: the seq of the correction that replaced it.
CREATE TABLE visit (
    seq INTEGER PRIMARY KEY REFERENCES record (seq),
    household TEXT NOT NULL,
    month TEXT NOT NULL,
    visit_date TEXT NOT NULL,
    method TEXT NOT NULL,
    author TEXT,
    wage INTEGER NOT NULL,
    business INTEGER NOT NULL,
    property INTEGER NOT NULL,
    transfer INTEGER NOT NULL,
    expenses INTEGER NOT NULL,
    risks TEXT NOT NULL,
    superseded_by INTEGER
);
CREATE INDEX visit_month ON visit (month, household);
CREATE INDEX visit_household ON visit (household, month);

INSERT INTO visit (seq, household, month, visit_date, method, author, wage, business, property, transfer,
                   expenses, risks)
SELECT seq, json_extract(CAST(content AS TEXT), '$.body.household'), json_extract(CAST(content AS TEXT), '$.body.month'),
       json_extract(CAST(content AS TEXT), '$.body.date'), json_extract(CAST(content AS TEXT), '$.body.method'),
       json_extract(CAST(content AS TEXT), '$.body.author'),
       json_extract(CAST(content AS TEXT), '$.body.income.wage'),
       json_extract(CAST(content AS TEXT), '$.body.income.business'),
       json_extract(CAST(content AS TEXT), '$.body.income.property'),
       json_extract(CAST(content AS TEXT), '$.body.income.transfer'),
       json_extract(CAST(content AS TEXT), '$.body.income.expenses'),
       COALESCE((SELECT group_concat(value, ',') FROM json_each(CAST(record.content AS TEXT), '$.body.risks')), '')
FROM record WHERE kind = 'visit';

-- A visit form in progress, kept on the node so it survives the phone's browser being closed.
CREATE TABLE draft (
    household TEXT NOT NULL,
    author TEXT NOT NULL,
    fields TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (household, author)
);

-- Signatures drawn on screen: the record carries the SHA-256, the picture stays at the station.
CREATE TABLE signature_image (
    sha256 TEXT PRIMARY KEY,
    png BLOB NOT NULL,
    created_at TEXT NOT NULL
);

-- Search keys for a member's name: the name, its pinyin initials and its full pinyin ("张丽 zl zhangli").
ALTER TABLE member ADD COLUMN search TEXT NOT NULL DEFAULT '';
