"""Documentation that cannot rot: every setting, command and error code is documented; the examples verify."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from field_node.cli import main as node_main
from field_node.settings import ENV_PREFIX as NODE_PREFIX
from field_node.settings import NODE_SETTINGS
from hub.cli import main as hub_main
from hub.settings import ENV_PREFIX as HUB_PREFIX
from hub.settings import HUB_SETTINGS
from shared import keys
from shared.errors import ErrorCode
from shared.records import signature_valid, signed_message

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(("prefix", "setting"), [(HUB_PREFIX, s) for s in HUB_SETTINGS] +
                         [(NODE_PREFIX, s) for s in NODE_SETTINGS])
def test_every_setting_is_documented(prefix, setting):
    assert f"`{prefix}{setting.name}`" in read("docs/settings.md")


@pytest.mark.parametrize(("program", "group"), [("fieldsync-hub", hub_main), ("fieldsync-node", node_main)])
def test_every_command_is_documented_and_has_help(program, group):
    readme = read("README.md")
    with click.Context(group) as group_ctx:
        commands = {name: group.get_command(group_ctx, name) for name in group.list_commands(group_ctx)}
    assert len(commands) >= 6
    for name, command in commands.items():
        assert f"{program} {name}" in readme or f"`{name}`" in readme, f"{program} {name} missing from README"
        assert command.help and len(command.help) > 20
        with click.Context(command) as ctx:
            assert command.get_help(ctx)


def test_every_error_code_is_documented():
    page = read("docs/errors.md")
    for code in ErrorCode:
        assert f"`{code.name}`" in page


def test_the_record_example_verifies():
    page = read("docs/records.md")
    blocks = re.findall(r"```text\n(.*?)\n```", page, re.S)
    content, signature, record_hash = blocks[0].encode(), bytes.fromhex(blocks[1]), bytes.fromhex(blocks[2])
    public = keys.public_key_from_bytes(keys.b64decode("A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg"))
    prev = bytes([0x9F]) * 32
    assert signature_valid(public, prev, content, signature)
    import hashlib

    assert hashlib.sha256(signed_message(prev, content)).digest() == record_hash
    pretty = json.loads(re.findall(r"```json\n(.*?)\n```", page, re.S)[0])
    assert pretty == json.loads(content)


def test_every_cleaning_parameter_is_documented():
    from hub.county.parameters import PARAMETERS

    page = read("docs/settings.md")
    for name in PARAMETERS:
        assert f"`{name}`" in page
