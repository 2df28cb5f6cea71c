"""Peewee models of the node's tables (the schema is defined by field_node/migrations/*.sql)."""

from __future__ import annotations

from peewee import (
    AutoField,
    BlobField,
    BooleanField,
    CompositeKey,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from field_node.store.db import database

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
    redacted = BooleanField(default=False)  # acknowledged format-1 record whose ID numbers were blanked here


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
    household_id: str  # the household's number, as peewee names the foreign key's raw value
    person_key = TextField()  # the hub's key for the person: the station holds no ID number, phone or birth day
    name = TextField()
    gender = TextField()
    birth_month = TextField(null=True)
    relation = TextField()
    labour_ability = TextField()
    student = TextField()
    status = TextField()
    dibao = BooleanField()
    tekun = BooleanField()
    relocated = BooleanField()
    disabled = BooleanField()
    search = TextField(default="")


class Account(BaseModel):
    """A person who may sign in at the station; ``role`` is ``member`` or ``admin``."""

    username = TextField(primary_key=True)
    display_name = TextField()
    password_hash = TextField()
    role = TextField()
    origin = TextField()
    active = BooleanField(default=True)
    failed_logins = IntegerField(default=0)
    locked_until = FloatField(null=True)  # unused since 0007: lockouts are per (user name, address)
    created_at = TextField()
    session_epoch = IntegerField(default=0)
    villages = TextField(null=True)  # JSON list of 乡镇/村 a member works in; NULL: every village of the station


class SignInFailure(BaseModel):
    """Wrong passwords per typed user name and phone address (shared/accounts.py); times in Unix seconds."""

    username = TextField()
    address = TextField()
    failures = IntegerField(default=0)
    locked_until = FloatField(null=True)
    updated_at = FloatField()

    class Meta:
        primary_key = CompositeKey("username", "address")


class Visit(BaseModel):
    """A visit record of this node, for display; the signed record itself stays in ``record``."""

    seq = IntegerField(primary_key=True)
    household = TextField()
    month = TextField()
    visit_date = TextField()
    method = TextField()
    author = TextField(null=True)
    wage = IntegerField()
    business = IntegerField()
    property = IntegerField()
    transfer = IntegerField()
    expenses = IntegerField()
    risks = TextField()
    superseded_by = IntegerField(null=True)

    def net(self) -> int:
        """The four sources less operating expenses (DOMAIN.md §3)."""
        return self.wage + self.business + self.property + self.transfer - self.expenses


class Draft(BaseModel):
    household = TextField()
    author = TextField()
    fields = TextField()
    updated_at = TextField()

    class Meta:
        primary_key = CompositeKey("household", "author")


class SignatureImage(BaseModel):
    sha256 = TextField(primary_key=True)
    png = BlobField()
    created_at = TextField()


class Posting(BaseModel):
    """A job posting the station shows: its own (``local_seq`` set) or one the hub sent."""

    posting_id = TextField(primary_key=True)
    kind = TextField()
    employer = TextField()
    title = TextField()
    township = TextField(null=True)
    village = TextField(null=True)
    place = TextField()
    pay = IntegerField()
    pay_unit = TextField()
    headcount = IntegerField()
    period_start = TextField(null=True)
    period_end = TextField(null=True)
    requirements = TextField(null=True)
    contact_name = TextField()
    contact_phone = TextField()
    valid_until = TextField()
    status = TextField()
    published = BooleanField()
    source = TextField()
    group_id = TextField()
    local_seq = IntegerField(null=True)
    updated_at = TextField()


class Task(BaseModel):
    """A verification task the county sent for a household of this station (answered here, offline)."""

    id = IntegerField(primary_key=True)
    household = TextField()
    question = TextField()
    open = BooleanField()
    answered_seq = IntegerField(null=True)
    updated_at = TextField()


class Coverage(BaseModel):
    """A household's visit status in a month (1 by phone or WeChat, 2 in person; no row: not yet), kept by
    ``visits.refresh_coverage`` in the transaction that changes a visit, so the landing page reads it directly."""

    household = TextField()
    month = TextField()
    status = IntegerField()

    class Meta:
        primary_key = CompositeKey("household", "month")


class PhoneDevice(BaseModel):
    """An offline session on a grid member's phone (only the token's hash is kept)."""

    token_sha256 = TextField(primary_key=True)
    username = TextField()
    created_at = TextField()
    expires_at = TextField()


class PhoneVisit(BaseModel):
    """A visit recorded on a phone, by the phone's id for it: stored once whatever is resent."""

    client_id = TextField(primary_key=True)
    username = TextField()
    seq = IntegerField()
    received_at = TextField()


class PinyinReading(BaseModel):
    """A Chinese character's first reading, toneless: search finds a name typed with a homophone."""

    char = TextField(primary_key=True)
    reading = TextField()
