"""Every field-node setting, its default and its meaning.  Read from ``FIELDSYNC_NODE_<NAME>``."""

from __future__ import annotations

from shared.settings import Setting

ENV_PREFIX = "FIELDSYNC_NODE_"

NODE_SETTINGS: list[Setting] = [
    Setting("DATA_DIR", "node-data", "Folder holding the node's database (node.db) and private key (node.key)."),
    Setting("BATCH_SIZE", 500, "Records per push request.", int),
    Setting("HTTP_TIMEOUT", 30.0, "Seconds to wait for the hub before a request counts as failed.", float),
    Setting("WATCH_INTERVAL", 300.0, "`sync --watch`: seconds between passes while the hub is reachable.", float),
    Setting("BACKOFF_BASE", 5.0, "`sync --watch`: first wait after a failed pass, in seconds; doubles after "
            "each further failure, with full jitter.", float),
    Setting("BACKOFF_MAX", 900.0, "`sync --watch`: longest wait between passes while the hub is unreachable, "
            "in seconds.", float),
    Setting("WEB_BIND", "0.0.0.0:8080", "`serve`: address the station app listens on (the station Wi-Fi and the Pi's "
            "own screen reach it here)."),
    Setting("WEB_TLS_BIND", "0.0.0.0:443", "`serve-tls`: address the station app listens on over HTTPS, with the "
            "station's certificate (the systemd unit grants the port-443 capability)."),
    Setting("TLS_RELOAD_SECONDS", 60.0, "`serve-tls`: how often to look for a renewed certificate to load.", float),
    Setting("WEB_THREADS", 4, "`serve`: threads answering requests in the one station-app process.", int),
    Setting("PAGE_SIZE", 50, "Households per page of the month's coverage list.", int),
    Setting("INCOME_DROP_WARNING", 0.3, "Visit form: warn (and ask for a reason) when the month's net income is "
            "lower than last month's by more than this share.", float),
    Setting("LOGIN_ATTEMPTS", 5, "Wrong passwords in a row before an account is locked.", int),
    Setting("LOCKOUT_MINUTES", 15.0, "How long a locked account stays locked.", float),
    Setting("LOGIN_RATE_LIMIT", "10/minute;100/hour", "Most sign-in attempts one phone (address) may make."),
    Setting("JOBS_URL", "", "Base URL printed in job posting QR codes; empty: the hub's URL (the same codes as the "
            "hub's posters; deploy/README.md says how phones on the station Wi-Fi reach the node)."),
    Setting("INTEREST_RATE_LIMIT", "5/minute;30/hour", "Most 我想报名 submissions one phone (address) may make."),
    Setting("PROXY_HOPS", 0, "How many reverse proxies in front of the station app to trust for the phone's address "
            "(X-Forwarded-For) and scheme: 0 when phones reach `serve` directly, as deployed.", int),
    Setting("REGION_WORD", "省", "What the county calls its province in work places: 省 (省内县外/省外) or 区 "
            "in Guangxi (区内县外/区外)."),
    Setting("TIME_ZONE", "Asia/Shanghai", "Time zone the station app shows times in (stored times stay UTC)."),
    Setting("OFFLINE_DAYS", 7, "How many days an offline session on a grid member's phone (离线使用) lasts before the "
            "phone asks for sign-in at the station again; set by the county.", int),
    Setting("APP_BUILD", "", "A label mixed into the offline app's version: change it to make every phone fetch the "
            "app again (changed files do this by themselves); queued visits are kept.", str),
]
