"""Helpers for in-process hub tests: a county with a roster, and a node that signs and pushes like a real one."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from devtools import synthetic
from hub.roster import importer as roster
from hub.store.models import Village
from hub.sync import nodes
from shared import keys, wire
from shared.protocol import ENROLL_PATH, PUSH_PATH
from shared.records import GENESIS_PREV, SealedRecord, seal

VILLAGES = synthetic.default_villages(1)[:4]
MONTH = "2026-10"


def import_county(tmp_path: Path, households_per_village: int = 5, seed: int = 7) -> list[dict[str, Any]]:
    """Import a generated roster for four villages; return its rows."""
    rows = synthetic.generate_roster(seed, VILLAGES, households_per_village)
    path = tmp_path / "roster.csv"
    synthetic.write_roster_csv(rows, path)
    report = roster.import_roster(path)
    assert not report.errors, report.errors
    return rows


def households_of(rows: list[dict[str, Any]], village: tuple[str, str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if (row["township"], row["village"]) == village:
            found.setdefault(row["household_id"], []).append(row)
    return found


class SimNode:
    """A field node reduced to its protocol: a key, a chain of signed records, a request counter."""

    def __init__(self, app: Flask, client: FlaskClient, name: str, villages: list[tuple[str, str]]):
        self.client = client
        with app.app_context():
            found = [nodes.find_village(f"{t}/{v}") for t, v in villages]
            assert all(isinstance(v, Village) for v in found)
            _, code = nodes.register(name, found, 24, actor="test")
        self.key = keys.generate()
        public = keys.public_bytes(self.key)
        proof = keys.b64encode(self.key.sign(wire.enrol_message(code, public)))
        reply = client.post(ENROLL_PATH, json={"code": code, "public_key": keys.b64encode(public), "proof": proof})
        assert reply.status_code == 200, reply.json
        self.node_id = reply.json["node_id"]
        self.code = code
        self.counter = 0
        self.records: list[SealedRecord] = []
        self.rnd = random.Random(name)

    def seal(self, body: dict[str, Any], kind: str = "visit") -> SealedRecord:
        prev = self.records[-1].hash if self.records else GENESIS_PREV
        record = seal(self.key, self.node_id, len(self.records) + 1, prev, kind, body, "2026-10-15T08:00:00Z")
        self.records.append(record)
        return record

    @staticmethod
    def seal_body_of(record: SealedRecord) -> dict[str, Any]:
        return json.loads(record.content)["body"]

    def visits(self, households: dict[str, list[dict[str, Any]]], month: str = MONTH) -> list[SealedRecord]:
        return [self.seal(synthetic.visit_body(self.rnd, members, month, "网格员")) for members in
                households.values()]

    def headers(self, method: str, path: str, body: bytes = b"") -> dict[str, str]:
        self.counter += 1
        return {"Authorization": wire.authorization_header(self.key, method, path, self.node_id, self.counter, body),
                "Content-Type": wire.BATCH_CONTENT_TYPE}

    def push_bytes(self, body: bytes) -> Any:
        return self.client.post(PUSH_PATH, data=body, headers=self.headers("POST", PUSH_PATH, body))

    def push(self, records: list[SealedRecord], head: int | None = None) -> Any:
        head = head if head is not None else len(self.records)
        return self.push_bytes(wire.encode_batch(records, head))

    def get(self, path: str) -> Any:
        return self.client.get(path, headers=self.headers("GET", path))
