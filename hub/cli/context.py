"""What every `fieldsync-hub` command shares: running inside the hub's app, and who the command line acts as.

A leaf module: command modules import it, it imports no command module.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from types import TracebackType
from typing import Any

import click

from hub.accounts.users import Principal
from hub.store import db
from hub.web.app import create_app
from shared.errors import FieldsyncError

CLI_PRINCIPAL = Principal("cli", "cli", "admin", None)  # whoever holds the server's shell


def run_in_app(check_schema: bool = True, connected: bool = True) -> Callable:
    """Run a command inside the hub app (database bound and, if ``connected``, connected); print FieldsyncErrors
    plainly.  `serve` runs unconnected: gunicorn forks its workers from this process, and a worker must not
    inherit the command's database connection or unwind its context when it exits."""

    def decorate(command: Callable) -> Callable:
        @wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                app = create_app(click.get_current_context().obj, check_schema=check_schema)
                if not connected:
                    return command(app, *args, **kwargs)
                with app.app_context(), db.database.connection_context():
                    return command(app, *args, **kwargs)
            except FieldsyncError as error:
                click.echo(f"错误：{error.message}", err=True)
                for key, value in error.details.items():
                    click.echo(f"  {key}: {value}", err=True)
                sys.exit(1)
            except OSError as error:
                click.echo(f"错误：无法读写文件 {error.filename or ''}（{error.strerror}）。请检查路径和权限。",
                           err=True)
                sys.exit(1)

        return wrapper

    return decorate


class StepBars:
    """A terminal progress bar per step of a long command: called as ``progress(step, done, total)`` (the
    roster importer's callback), it opens a new bar labelled with each new step.  Used as a context manager."""

    def __init__(self) -> None:
        self.step = ""
        self.bar: Any = None

    def __call__(self, step: str, done: int, total: int) -> None:
        if step != self.step:
            self._close()
            self.step = step
            self.bar = click.progressbar(length=max(total, 1), label=step, show_pos=True)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __enter__(self) -> StepBars:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._close()
