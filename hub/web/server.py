"""Running the hub under gunicorn: the options used by `fieldsync-hub serve` and deploy/gunicorn.conf.py."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

# The access log leaves out query strings and headers: nothing personal travels there anyway, and a log
# must not become the place it does (DOMAIN.md §9).
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def gunicorn_options(bind: str, workers: int) -> dict[str, Any]:
    return {
        "bind": bind,
        "workers": workers,
        "worker_class": "sync",
        "timeout": 120,
        "graceful_timeout": 30,
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "limit_request_line": 8190,
    }


class HubServer(BaseApplication):
    """Gunicorn with the hub's app factory, configured in code rather than from a file."""

    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):  # gunicorn's signature
        from hub.web.app import create_app

        return create_app()
