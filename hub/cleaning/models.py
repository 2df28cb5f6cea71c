"""Peewee models of the cleaning tables (schema: hub/migrations/0002_cleaning.sql)."""

from __future__ import annotations

from peewee import AutoField, DateTimeField, ForeignKeyField, IntegerField, TextField

from hub.models import BaseModel, Household, Record, Township, Village

OPEN, ANSWERED, CLOSED = "open", "answered", "closed"
ANSWER_CORRECT = "correct"  # 核实无误: stays answered until the data it was raised on change


class CleaningRun(BaseModel):
    id = AutoField()
    started_at = DateTimeField()
    finished_at = DateTimeField(null=True)
    period = TextField()
    rules_version = TextField()
    settings = TextField()
    counts = TextField(default="{}")
    opened = IntegerField(default=0)
    closed = IntegerField(default=0)


class Anomaly(BaseModel):
    id = AutoField()
    key = TextField(unique=True)
    rule = TextField()
    township = ForeignKeyField(Township, null=True)
    township_id: ForeignKeyField[int | None]
    village = ForeignKeyField(Village, null=True)
    household = ForeignKeyField(Household, null=True)
    household_id: ForeignKeyField[int | None]
    subject = TextField()
    detail = TextField()
    digest = TextField()
    status = TextField()
    answer = TextField(null=True)
    answered_at = DateTimeField(null=True)
    answer_note = TextField(null=True)
    answered_by = TextField(null=True)
    first_run = ForeignKeyField(CleaningRun)
    last_run = ForeignKeyField(CleaningRun)
    opened_at = DateTimeField()
    closed_at = DateTimeField(null=True)
    scope = TextField(default="")  # the month or year the finding rests on, '' for current state (0013)


class VerificationTask(BaseModel):
    """A household to check on site, for an anomaly sent to the field or a spot check (hub/verification.py)."""

    id = AutoField()
    household = ForeignKeyField(Household)
    anomaly = ForeignKeyField(Anomaly, null=True)
    anomaly_id: ForeignKeyField[int | None]
    spot_check_id = IntegerField(null=True)
    question = TextField()
    status = TextField()
    sent_by = TextField()
    sent_at = DateTimeField()
    change_seq = IntegerField()
    answer = TextField(null=True)
    answer_note = TextField(null=True)
    answered_by = TextField(null=True)
    answered_at = DateTimeField(null=True)
    answer_record = ForeignKeyField(Record, null=True)


class CleaningSetting(BaseModel):
    key = TextField(primary_key=True)
    value = TextField()


CLEANING_MODELS = [CleaningRun, Anomaly, CleaningSetting, VerificationTask]
