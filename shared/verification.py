"""Verification in the field (issue 6, DOMAIN.md §7): what a station receives to check on site, and the signed
answer a grid member records there, offline, which closes the task at the hub."""

from __future__ import annotations

from marshmallow import fields

from shared.schemas import DATE_SHAPE, StrictSchema, Text, Yuan, listing, nested

ANSWERS = {"correct": "核实无误", "corrected": "已更正", "unverifiable": "无法核实"}
MAX_TASK_ID = 2**53


class VerificationSchema(StrictSchema):
    """A grid member's answer to a verification task, checked against the household's real situation."""

    task = Yuan(low=1, high=MAX_TASK_ID, required=True, metadata={"description": "the hub's task number"})
    household = Text(required=True, max_length=40, metadata={"description": "户编号 of the household checked"})
    answer = Text(required=True, choices=ANSWERS)
    note = Text(required=True, max_length=500, metadata={"description": "what was found, and any new values"})
    date = Text(required=True, pattern=DATE_SHAPE, metadata={"description": "the day of the check, YYYY-MM-DD"})
    author = Text(max_length=40, metadata={"description": "the node account that entered the answer"})


class TaskDocumentSchema(StrictSchema):
    id = fields.Integer(required=True)
    household = Text(required=True)
    question = Text(required=True)
    open = fields.Boolean(required=True, metadata={"description": "false: answered or withdrawn; the node drops it"})


class TaskPageSchema(StrictSchema):
    tasks = listing(nested(TaskDocumentSchema), required=True)
    cursor = fields.Integer(required=True)
    more = fields.Boolean(required=True)
