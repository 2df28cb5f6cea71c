-- fieldsync field node schema, version 4: verification tasks from the county, answered on site.
-- answered_seq: the signed verification record that answered it (the hub closes the task when it arrives).
CREATE TABLE task (
    id INTEGER PRIMARY KEY,
    household TEXT NOT NULL,
    question TEXT NOT NULL,
    open INTEGER NOT NULL,
    answered_seq INTEGER,
    updated_at TEXT NOT NULL
);
CREATE INDEX task_household ON task (household, open)
