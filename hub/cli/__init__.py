"""`fieldsync-hub`: set up and run the county hub.

Messages are in Chinese for the county clerk; `--help` texts are in English for the maintainer.  Each command
lives in the module of its concern (``COMMANDS`` below) and is imported only when it runs, so `fieldsync-hub
--help` reads the commands' one-line help from their source without importing the hub, and a command pays only
for what it uses.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from functools import cache
from importlib.util import find_spec
from pathlib import Path

import click

# command name -> (module under hub.cli, the click command's function name)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("setup", "init"),
    "migrate": ("setup", "migrate"),
    "serve": ("setup", "serve"),
    "backup": ("setup", "backup"),
    "restore": ("setup", "restore"),
    "add-node": ("stations", "add_node"),
    "revoke-node": ("stations", "revoke_node"),
    "release-node": ("stations", "release_node"),
    "new-code": ("stations", "new_code"),
    "nodes": ("stations", "list_nodes"),
    "certificates": ("stations", "certificates"),
    "import-roster": ("roster", "import_roster"),
    "import-list": ("roster", "import_list_command"),
    "import-postings": ("postings", "import_postings"),
    "add-user": ("people", "add_user"),
    "set-role": ("people", "set_role"),
    "disable-user": ("people", "disable_user"),
    "reset-password": ("people", "reset_password"),
    "add-token": ("people", "add_token"),
    "revoke-token": ("people", "revoke_token"),
    "add-field-user": ("people", "add_field_user"),
    "disable-field-user": ("people", "disable_field_user"),
    "clean": ("cleaning", "clean"),
    "rule-setting": ("cleaning", "rule_setting"),
    "export": ("cleaning", "export"),
    "spot-check": ("verification", "spot_check"),
    "answer": ("verification", "answer"),
    "audit": ("audit", "audit_group"),
    "worker": ("worker", "worker"),
    "add-county": ("upward", "add_county"),
    "add-city": ("upward", "add_city"),
    "enroll-up": ("upward", "enroll_up"),
    "push-up": ("upward", "push_up"),
}


@cache
def _docstrings(module: str) -> dict[str, str]:
    """Function name -> docstring, read from the module's source without importing it."""
    spec = find_spec(f"hub.cli.{module}")
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    return {node.name: ast.get_docstring(node, clean=False) or "" for node in functions}


class HubCommands(click.Group):
    """The hub's commands, each imported when it is asked for (click's lazy-loading group pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, function = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(f"hub.cli.{module}"), function)
        assert isinstance(command, click.Command) and command.name == cmd_name, cmd_name
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's own listing (``Command.get_short_help_str``), from the docstrings in the source."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, short_help(name, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def short_help(name: str, limit: int) -> str:
    module, function = COMMANDS[name]
    return click.Command(name, help=inspect.cleandoc(_docstrings(module)[function])).get_short_help_str(limit)


@click.group(cls=HubCommands)
@click.option("--data-dir", envvar="FIELDSYNC_DATA_DIR", default="hub-data", show_default=True,
              help="Folder for the SQLite database, QR codes and exports [env FIELDSYNC_DATA_DIR].")
@click.option("--database-url", envvar="FIELDSYNC_DATABASE_URL", default="",
              help="postgresql://… to use PostgreSQL; empty for SQLite in the data folder "
                   "[env FIELDSYNC_DATABASE_URL].")
@click.pass_context
def main(ctx: click.Context, data_dir: str, database_url: str) -> None:
    """fieldsync county hub: receives signed visit records from village field nodes."""
    ctx.obj = {"DATA_DIR": data_dir, "DATABASE_URL": database_url}


if __name__ == "__main__":
    main()
