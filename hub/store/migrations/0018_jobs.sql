-- Work done outside the web request (issue 15): cleaning runs started from the web or by the schedule, and
-- uploaded imports (roster, other departments' lists, postings). One row per job, owned by hub/jobs/records.py:
-- who asked (actor: user:<name>, or schedule), what (kind, the uploaded file's name, params as JSON), its state
-- (queued, running, done, failed) and, once ended, its report (JSON: the row report of an import, the per-rule
-- counts of a cleaning run) or the Chinese message of its failure. An import's row is its record.
CREATE TABLE job (
    id {ID},
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    actor TEXT NOT NULL,
    file_name TEXT NOT NULL DEFAULT '',
    params TEXT NOT NULL DEFAULT '{EMPTY}',
    report TEXT NOT NULL DEFAULT '{EMPTY}',
    message TEXT NOT NULL DEFAULT '',
    worker TEXT NOT NULL DEFAULT '',
    created_at {TS} NOT NULL,
    started_at {TS},
    finished_at {TS}
);
CREATE INDEX job_kind_status ON job (kind, status);
