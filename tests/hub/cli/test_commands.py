"""`fieldsync-hub` loads each command when it runs: the listing is click's own, and --help imports nothing heavy."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click
import pytest

from hub.cli import COMMANDS, main, short_help


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_listed_command_loads_under_its_name_with_the_help_click_would_list(name):
    with click.Context(main) as ctx:
        command = main.get_command(ctx, name)
    assert command is not None and command.name == name
    assert short_help(name, 60) == command.get_short_help_str(60)


def test_an_unknown_command_is_refused_with_clicks_own_message(runner):
    result = runner.invoke(main, ["no-such-command"])
    assert result.exit_code == 2 and "No such command 'no-such-command'" in result.output


@pytest.mark.parametrize("module", sorted({module for module, _ in COMMANDS.values()} | {"context"}))
def test_each_command_module_imports_on_its_own(module):
    """No import cycle: each module loads first in a fresh interpreter (hub.cleaning.commands once did not)."""
    subprocess.run([sys.executable, "-c", f"import hub.cli.{module}"], check=True)


def test_the_listing_imports_neither_the_hub_app_nor_the_database():
    probe = ("import sys\nfrom hub.cli import main\n"
             "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             "heavy = [m for m in ('hub.web.app', 'hub.store.db', 'peewee', 'flask', 'openpyxl', 'pypinyin') "
             "if m in sys.modules]\nassert not heavy, heavy\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "add-node" in done.stdout


def test_every_command_module_is_listed():
    """A command written in a module but missing from COMMANDS would never run: each module's commands are listed."""
    listed = {(module, function) for module, function in COMMANDS.values()}
    for module in {module for module, _ in COMMANDS.values()}:
        loaded = importlib.import_module(f"hub.cli.{module}")
        commands = {name: value for name, value in vars(loaded).items() if isinstance(value, click.Command)}
        grouped = {id(sub) for value in commands.values() if isinstance(value, click.Group)
                   for sub in value.commands.values()}
        for attribute, value in commands.items():
            if id(value) not in grouped:
                assert (module, attribute) in listed, f"hub.cli.{module}.{attribute}"
