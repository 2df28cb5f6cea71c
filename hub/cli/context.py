"""What every `fieldsync-hub` command shares: running inside the hub's app, and who the command line acts as.

A leaf module: command modules import it, it imports no command module.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
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
