"""The node's identity: its data folder, its private key, and what enrolment told it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from field_node.settings import ENV_PREFIX, NODE_SETTINGS
from field_node.store.db import database, open_database
from field_node.store.models import Record
from field_node.store.state import get_state, require, set_state
from shared import keys, settings
from shared.errors import ErrorCode, FieldsyncError

if TYPE_CHECKING:
    from field_node.sync import client

KEY_FILE = "node.key"


@dataclass
class Node:
    """An opened node: settings, database bound, key loaded once (decoding it per signature halves the rate)."""

    data_dir: Path
    settings: dict[str, Any]
    _key: Ed25519PrivateKey | None = field(default=None, repr=False)

    @property
    def key_path(self) -> Path:
        return self.data_dir / KEY_FILE

    def key(self) -> Ed25519PrivateKey:
        if self._key is None:
            if not self.key_path.exists():
                raise FieldsyncError(ErrorCode.NOT_ENROLLED)
            self._key = keys.load_private_key(self.key_path)
        return self._key

    @property
    def node_id(self) -> int:
        return int(require("node_id"))

    def hub(self) -> client.HubClient:
        from field_node.sync import client  # requests is imported by syncing, not by the station's page process

        return client.HubClient(require("hub_url"), self.node_id, self.key(),
                                self.settings["HTTP_TIMEOUT"])


def open_node(data_dir: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Node:
    values = settings.load(NODE_SETTINGS, ENV_PREFIX)
    values.update(overrides or {})
    folder = Path(data_dir or values["DATA_DIR"])
    open_database(folder)
    return Node(folder, values)


def enroll(node: Node, hub_url: str, code: str) -> dict[str, Any]:
    """Create the node's key (once) and enrol it with the hub; the key never leaves this folder."""
    with database.connection_context():
        if get_state("node_id") is not None or Record.select().exists():
            raise FieldsyncError(ErrorCode.ALREADY_ENROLLED,
                                 "本数据目录已经登记过站点。如需重新登记，请换一个新的数据目录（旧数据请先备份）。")
    if not node.key_path.exists():
        keys.save_private_key(keys.generate(), node.key_path)
    from field_node.sync import client

    reply = client.enroll(hub_url, code, node.key(), node.settings["HTTP_TIMEOUT"])
    with database.atomic("IMMEDIATE"):
        set_state("node_id", reply["node_id"])
        set_state("node_name", reply["name"])
        set_state("county", reply["county"])
        set_state("villages", json.dumps(reply["villages"], ensure_ascii=False))
        set_state("hub_url", hub_url.rstrip("/"))
    return reply
