-- Other departments' monthly lists (DOMAIN.md §6, cross-checks X1–X3; hub/department_lists.py).
-- kind: death (公安/卫健 死亡登记) | assistance (民政 低保/特困) | student (教育 在校生).
-- month: the month the list is for, YYYY-MM. file_digest: SHA-256 of the imported file, so the same file
-- imported again for the same month changes nothing; a new file for a kind and month replaces that month's list.
-- rows: the entries imported from the file (rows with errors are not counted).
CREATE TABLE department_list (
    id {ID},
    kind TEXT NOT NULL,
    month TEXT NOT NULL,
    file_digest TEXT NOT NULL,
    rows BIGINT NOT NULL,
    imported_at {TS} NOT NULL,
    UNIQUE (kind, month, file_digest)
);

-- One person on a list. detail: the death date (death), 低保 or 特困 (assistance), school and stage (student).
CREATE TABLE department_entry (
    id {ID},
    list_id BIGINT NOT NULL REFERENCES department_list (id),
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX department_entry_id_number ON department_entry (id_number);
CREATE INDEX department_entry_list ON department_entry (list_id)
