"""Every hub setting, its default and its meaning.  Read from ``FIELDSYNC_<NAME>``."""

from __future__ import annotations

from shared.settings import Setting, hub_level, load, secure_cookies
from shared.table_files import TableLimits

ENV_PREFIX = "FIELDSYNC_"

HUB_SETTINGS: list[Setting] = [
    Setting("DATA_DIR", "hub-data", "Folder holding the SQLite database, enrolment QR codes and exports."),
    Setting("DATABASE_URL", "", "Database URL. Empty means SQLite at <DATA_DIR>/hub.db; "
            "postgresql://user@host:port/db selects PostgreSQL (pooled connections)."),
    Setting("PUBLIC_URL", "http://127.0.0.1:8000", "The URL nodes and phones use to reach this hub; "
            "it goes into enrolment QR codes."),
    Setting("TIMEZONE", "Asia/Shanghai", "Time zone in which pages and commands show times (stored in UTC)."),
    Setting("REGION_WORD", "省", "What the county calls its province in work places on pages and reports: 省 "
            "(省内县外/省外) or 区 in Guangxi (区内县外/区外); the stations' FIELDSYNC_NODE_REGION_WORD says the "
            "same."),
    Setting("SILENT_HOURS", 72, "A station not heard from for longer than this is listed first as silent "
            "(a dead or stolen Pi, usually).", int),
    Setting("BIND", "127.0.0.1:8000", "Address gunicorn listens on for `fieldsync-hub serve`."),
    Setting("WORKERS", 2, "Number of gunicorn worker processes for `fieldsync-hub serve`.", int),
    Setting("ENROLMENT_CODE_HOURS", 168, "How long a one-time enrolment code stays valid, in hours.", int),
    Setting("MAX_BATCH_RECORDS", 1000, "Most records one push may carry.", int),
    Setting("MAX_BATCH_BYTES", 8 * 1024 * 1024, "Most bytes a push may expand to after decompression.", int),
    Setting("MAX_REQUEST_BYTES", 4 * 1024 * 1024, "Most bytes of any request body as sent.", int),
    Setting("PULL_PAGE_SIZE", 500, "Households per page of a roster pull.", int),
    Setting("JOBS_URL", "", "Base URL printed in job posting QR codes (`<JOBS_URL>/j/<id>`). Empty: PUBLIC_URL. "
            "Stations print the same URL; deploy/README.md says how phones on a station's Wi-Fi reach the node."),
    Setting("INTEREST_RATE_LIMIT", "5/minute;30/hour", "Most 我想报名 submissions one address may make "
            "(Flask-Limiter syntax)."),
    Setting("LOGIN_ATTEMPTS", 5, "Wrong passwords in a row before a county user's account is locked.", int),
    Setting("LOCKOUT_MINUTES", 15.0, "How long a locked county account stays locked.", float),
    Setting("LOGIN_RATE_LIMIT", "10/minute;100/hour", "Most sign-in attempts one address may make."),
    Setting("SECURE_COOKIES", "auto", "The Secure flag of session cookies: auto (on whenever the request came over "
            "HTTPS, as nginx reports it through a trusted proxy hop), 1 (always), 0 (never; plain-HTTP tests only).",
            secure_cookies),
    Setting("SPOT_CHECK_SIZE", 5, "Households drawn per township for each month's spot check.", int),
    Setting("RATELIMIT_STORAGE_URI", "database://", "Where rate-limit counters live, shared by every gunicorn "
            "worker: database:// (the hub's own database) or redis://127.0.0.1:6379 (needs the redis package). "
            "memory:// counts per worker process and is for tests only."),
    Setting("PROXY_HOPS", 0, "How many reverse proxies in front of the hub to trust for the client's address "
            "(X-Forwarded-For) and scheme (X-Forwarded-Proto): 0 when gunicorn is reached directly, 1 behind the "
            "documented nginx. Rate limits and lockouts count per client address.", int),
    Setting("METRICS_TOKEN", "", "Bearer token /metrics requires. Empty: /metrics answers only requests from the "
            "hub machine itself (loopback, after the trusted proxy hops)."),
    Setting("ENROLL_RATE_LIMIT", "10/hour", "Most station enrolment attempts one address may make."),
    Setting("QUEUE_URL", "", "Where the job queue keeps queued work (cleaning runs and imports started from the web, "
            "the scheduled cleaning runs): empty for SQLite at <DATA_DIR>/queue.db (one hub machine), "
            "redis://host:6379/0 for Redis (needs the redis package; several hub machines). "
            "`fieldsync-hub worker` takes the work."),
    Setting("DOWNLOAD_KEEP_MINUTES", 30, "How long a download the worker built waits in <DATA_DIR>/downloads for the "
            "user who asked for it; it is deleted once fetched, or after this many minutes if never fetched.", int),
    Setting("DASHBOARD_MAX_AGE_MINUTES", 60, "How old the dashboard's figures may be before a page computes them "
            "again; `fieldsync-hub worker` refreshes the views people have opened before they get that old, so a "
            "county of a million members (tens of seconds to compute) reads them at once.", int),
    Setting("CLEANING_HOUR", 2, "Hour of the day (county time, 0-23) of the scheduled cleaning runs on the 1st, 11th "
            "and 21st of each month, started by `fieldsync-hub worker`.", int),
    Setting("STATION_DOMAIN", "", "The county domain under which each station gets its own name, "
            "s<station number>.<STATION_DOMAIN> (e.g. stations.example-county.gov.cn), and a publicly trusted "
            "certificate for it (docs/certificates.md). Empty: no station certificates."),
    Setting("ACME_DIRECTORY_URL", "", "The county's ACME CA (its directory URL) that issues station certificates."),
    Setting("ACME_CA_BUNDLE", "", "A PEM file of the CA that signed the ACME server's own HTTPS certificate, for a "
            "private CA (tests: pebble's). Empty: the system's trusted roots."),
    Setting("ACME_EMAIL", "", "Contact address given to the ACME CA with the hub's account (expiry notices)."),
    Setting("DNS_PROVIDER", "challtestsrv", "Which DNS provider sets the _acme-challenge TXT records "
            "(hub/certificates/dns.py): rfc2136 (dynamic updates signed with a TSIG key, to the county's own name "
            "server: BIND, Knot, PowerDNS …) or challtestsrv (pebble's challenge test server, for rehearsals)."),
    Setting("DNS_API_URL", "", "challtestsrv: its management URL."),
    Setting("DNS_SERVER", "", "rfc2136: the primary name server that accepts dynamic updates for the zone, "
            "host:port (port 53 when left out)."),
    Setting("DNS_ZONE", "", "rfc2136: the zone the _acme-challenge records are added to (e.g. "
            "example-county.gov.cn). Empty: STATION_DOMAIN is its own zone."),
    Setting("DNS_TSIG_KEY_FILE", "", "rfc2136: a file with the TSIG key in BIND's format, as `tsig-keygen` prints "
            "it (key \"name\" { algorithm hmac-sha256; secret \"…\"; };), readable by the hub only."),
    Setting("DNS_PROPAGATION_SECONDS", 0.0, "Seconds to wait after setting the _acme-challenge records before the "
            "CA is asked to check them: 0 when the CA reads the server the hub updates; a few tens of seconds when "
            "secondaries serve the zone and must first get the change.", float),
    Setting("CERT_RENEW_AT", 2 / 3, "Renew a station's certificate once this fraction of its lifetime has "
            "passed (2/3: a 90-day certificate 30 days before it expires).", float),
    Setting("CERT_WARN_AT", 5 / 6, "Warn on the overview page and in `fieldsync-hub nodes` once this fraction of a "
            "station's certificate's lifetime has passed and no renewal replaced it (5/6: 15 days before a 90-day "
            "certificate expires).", float),
    Setting("IMPORT_MAX_ROWS", 200_000, "Most rows (the header and title rows included) an imported table "
            "(roster, postings, department list) may have; a larger file is refused before it is read in full.", int),
    Setting("IMPORT_MAX_CELL_CHARS", 2_000, "Most characters one cell of an imported table may hold.", int),
    Setting("IMPORT_MAX_UNCOMPRESSED_BYTES", 256 * 1024 * 1024, "Most bytes an imported file may have, or expand "
            "to when unpacked (XLSX and ODS are ZIP archives); checked before its cells are read.", int),
    Setting("HUB_LEVEL", "county", "Which level this hub serves (docs/upward.md): county (village stations sync to "
            "it), city (county hubs report up to it with `fieldsync-hub push-up`; it forwards their records to a "
            "region the same way) or region (city hubs report up to it).", hub_level),
    Setting("REGION_PERSON_KEY_FILE", "", "A county hub's copy of the region person key (32 random bytes the region "
            "gives every county, never a city or region hub): persons go up as keyed hashes of their ID numbers "
            "under it, so a city finds one person registered in two counties without reading a number. Empty: "
            "`push-up` sends no persons."),
    Setting("UPWARD_BATCH_SIZE", 1000, "Most upward records one `push-up` batch carries (at most the city's "
            "MAX_BATCH_RECORDS).", int),
    Setting("UPWARD_EVERY_MINUTES", 60, "How often the worker pushes an enrolled county hub's month up to its city, "
            "in minutes (60: hourly, at minute 30; a divisor of 60).", int),
    Setting("REPORT_DAY", 5, "Day of the month by which a county reports the month before (002 employment annex "
            "2); the city's page shows a county late after it.", int),
]


def import_limits() -> TableLimits:
    """The IMPORT_MAX_* limits: the running app's, or the environment's outside an app (scripts, tests)."""
    from flask import current_app, has_app_context

    values = current_app.config if has_app_context() else load(HUB_SETTINGS, ENV_PREFIX)
    return TableLimits(rows=values["IMPORT_MAX_ROWS"], cell_chars=values["IMPORT_MAX_CELL_CHARS"],
                       uncompressed_bytes=values["IMPORT_MAX_UNCOMPRESSED_BYTES"])
