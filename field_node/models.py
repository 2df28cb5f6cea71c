"""Peewee models of the node's tables (the schema is defined by field_node/migrations/*.sql)."""

from __future__ import annotations

from peewee import AutoField, BlobField, BooleanField, ForeignKeyField, IntegerField, Model, TextField

from field_node.db import database

PENDING, SENT, REJECTED = "pending", "sent", "rejected"


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Record(BaseModel):
    """A signed record and its place in the outbox."""

    seq = IntegerField(primary_key=True)
    kind = TextField()
    household = TextField(null=True)
    month = TextField(null=True)
    prev = BlobField()
    content = BlobField()
    signature = BlobField()
    hash = BlobField()
    status = TextField()
    error_code = TextField(null=True)
    error_message = TextField(null=True)
    error_details = TextField(null=True)
    created_at = TextField()
    sent_at = TextField(null=True)


class State(BaseModel):
    key = TextField(primary_key=True)
    value = TextField()


class Household(BaseModel):
    number = TextField(primary_key=True)
    township = TextField()
    village = TextField()
    household_type = TextField()
    monitoring_type = TextField()
    monitoring_since = TextField(null=True)


class Member(BaseModel):
    id = AutoField()
    household = ForeignKeyField(Household, field=Household.number, backref="members", column_name="household")
    id_number = TextField()
    name = TextField()
    gender = TextField()
    birth_date = TextField(null=True)
    relation = TextField()
    labour_ability = TextField()
    student = TextField()
    phone = TextField()
    status = TextField()
    dibao = BooleanField()
    tekun = BooleanField()
    relocated = BooleanField()
    disabled = BooleanField()
