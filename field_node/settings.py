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
]
