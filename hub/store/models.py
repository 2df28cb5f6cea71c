"""Peewee models of the hub's tables (the schema itself is defined by hub/store/migrations/*.sql)."""

from __future__ import annotations

import json
from typing import Any

from peewee import (
    AutoField,
    BigIntegerField,
    BlobField,
    BooleanField,
    CharField,
    CompositeKey,
    DateTimeField,
    Expression,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    ModelSelect,
    TextField,
)

from hub.store.db import database


# A foreign key's `<name>_id` (the related row's key, read without a query) and a backref are declared where code
# reads them, so that the type checker knows them; peewee makes both at run time.
class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class County(BaseModel):
    id = AutoField()
    name = TextField()


class Township(BaseModel):
    id = AutoField()
    name = TextField(unique=True)
    position = IntegerField(default=0)
    # Above the county (0033): the county (its node here) whose forwarded visits named it, and its name there.
    county_node = IntegerField(null=True, column_name="county_node_id")
    local_name = TextField(null=True)


class Village(BaseModel):
    id = AutoField()
    township = ForeignKeyField(Township, backref="villages")
    township_id: ForeignKeyField[int]
    name = TextField()

    @property
    def label(self) -> str:
        return f"{self.township.name}/{self.name}"


class RosterClock(BaseModel):
    id = IntegerField(primary_key=True)
    value = BigIntegerField()


class Household(BaseModel):
    id = AutoField()
    number = TextField(unique=True)
    village = ForeignKeyField(Village, backref="households")
    village_id: ForeignKeyField[int]
    members: ModelSelect[Person]  # backref of Person.household
    previous_village = ForeignKeyField(Village, null=True)
    household_type = TextField()
    monitoring_type = TextField(default="")
    monitoring_since = TextField(null=True)
    digest = TextField()
    change_seq = BigIntegerField()
    helper = TextField(default="")  # 帮扶责任人
    helper_since = TextField(null=True)
    plan_date = TextField(null=True)  # 帮扶计划制定时间
    measures = TextField(default="")  # 帮扶措施
    risk_eliminated = TextField(null=True)  # 风险消除时间


class Person(BaseModel):
    id = AutoField()
    household = ForeignKeyField(Household, backref="members")
    household_id: ForeignKeyField[int]
    id_number = TextField()
    name = TextField()
    name_pinyin = TextField()
    gender = TextField()
    birth_date = TextField(null=True)
    relation = TextField(default="")
    labour_ability = TextField(default="")
    student = TextField(default="")
    phone = TextField(default="")
    dibao = BooleanField()
    tekun = BooleanField()
    relocated = BooleanField()
    disabled = BooleanField()
    status = TextField()
    id_problem = TextField(default="")  # I1, computed once when the row arrives (hub/roster/importer.py)
    phone_problem = TextField(default="")  # I9, likewise
    checked = BooleanField(default=False)
    returned_since = TextField(null=True)  # 返乡时间 (a returned migrant labourer)
    support_251 = BooleanField(default=False)  # 是否开展"251"就业帮扶
    person_key = TextField(default="")  # the ID number's person key (0032; hub/roster/sealing_keys.py), "" until filled


class Node(BaseModel):
    id = AutoField()
    name = TextField(unique=True)
    public_key = BlobField(null=True)
    enrolment_code_hash = TextField(null=True)
    enrolment_expires_at = DateTimeField(null=True)
    enrolled_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)
    last_counter = BigIntegerField(default=0)
    hwm = BigIntegerField(default=0)
    head = BigIntegerField(default=0)
    last_seen_at = DateTimeField(null=True)
    created_at = DateTimeField()
    quarantined_at = DateTimeField(null=True)
    quarantine_reason = TextField(null=True)
    push_failures = IntegerField(default=0)  # pushes refused or failed in a row since the last stored one
    last_push_error = TextField(null=True)  # the last failed push's error code
    last_push_failed_at = DateTimeField(null=True)
    level = TextField(default="station")  # 'station', or 'county' for a county hub enrolled at a city (issue 17)


class NodeVillage(BaseModel):
    id = AutoField()
    node = ForeignKeyField(Node, backref="village_links")
    node_id: ForeignKeyField[int]
    village = ForeignKeyField(Village)
    village_id: ForeignKeyField[int]


class StationCertificate(BaseModel):
    """A station's TLS certificate: the CSR it sent at sync and what the county's ACME CA issued for it."""

    id = AutoField()
    node = ForeignKeyField(Node, unique=True)
    node_id: ForeignKeyField[int]
    domain = TextField()
    csr_pem = TextField()
    requested_at = DateTimeField()
    certificate_pem = TextField(null=True)
    not_before = DateTimeField(null=True)
    not_after = DateTimeField(null=True)
    issued_at = DateTimeField(null=True)
    delivered_at = DateTimeField(null=True)
    last_error = TextField(null=True)
    last_error_text = TextField(null=True)
    last_attempt_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)


def village_ids(node: Node) -> list[int]:
    """The villages a station serves."""
    return [link.village_id for link in NodeVillage.select().where(NodeVillage.node == node)]


class FieldAccount(BaseModel):
    """A station account made at the hub for one village's grid members (shared/accounts.py)."""

    id = AutoField()
    username = TextField(unique=True)
    display_name = TextField()
    password_hash = TextField()
    role = TextField()
    village = ForeignKeyField(Village)
    active = BooleanField(default=True)
    changed_at = DateTimeField()


class Record(BaseModel):
    id = AutoField()
    node = ForeignKeyField(Node, backref="records")
    seq = BigIntegerField()
    kind = TextField()
    status = TextField()
    reason = TextField(null=True)
    hash = BlobField()
    prev = BlobField()
    content = BlobField()
    signature = BlobField()
    household = ForeignKeyField(Household, null=True)
    received_at = DateTimeField()


class Visit(BaseModel):
    id = AutoField()
    record = ForeignKeyField(Record, unique=True)
    household = ForeignKeyField(Household, backref="visits")
    month = CharField()
    visit_date = CharField()
    visitor = TextField()
    method = TextField()
    wage = BigIntegerField()
    business = BigIntegerField()
    property = BigIntegerField()
    transfer = BigIntegerField()
    expenses = BigIntegerField()
    ack_status = TextField()
    risks = TextField(default="")
    corrects = TextField(null=True)
    received_at = DateTimeField()
    superseded_by = BigIntegerField(null=True)
    unchanged = TextField(default="")  # body.unchanged, comma-separated (figures confirmed unchanged)

    @classmethod
    def is_current(cls) -> Expression:
        """The one definition of "the current visits": those no correction has superseded
        (hub/cleaning/loading.py, supersede_corrected).  Rules, exports and pages read visits through it."""
        return cls.superseded_by.is_null()


def current_visits(*fields: Any) -> ModelSelect[Visit]:
    """The current visits (``Visit.is_current``), selecting ``fields`` (all columns when none are given)."""
    return Visit.select(*fields).where(Visit.is_current())


def current_visits_sql() -> str:
    """The current visits as an SQL subquery with every column of ``visit``, for hand-written queries:
    ``FROM {current_visits_sql()} v``.  Rendered from ``current_visits()``, so the definition stays one."""
    sql, params = current_visits().sql()
    assert not params
    return f"({sql})"


class VisitEmployment(BaseModel):
    id = AutoField()
    visit = ForeignKeyField(Visit, backref="employment")
    visit_id: ForeignKeyField[int]
    id_number = TextField()
    place = TextField()
    province = TextField(default="")
    months = IntegerField()
    wage = BigIntegerField()


class VisitChange(BaseModel):
    """A family change noted at a visit; a number typed there is held opened (it arrived sealed to the hub)."""

    id = AutoField()
    visit = ForeignKeyField(Visit, backref="changes")
    type = TextField()
    name = TextField(default="")
    id_number = TextField(null=True)
    id_unreadable = BooleanField(default=False)
    change_date = TextField(null=True)
    note = TextField(default="")


class Alarm(BaseModel):
    id = AutoField()
    node = ForeignKeyField(Node, backref="alarms")
    code = TextField()
    seq = BigIntegerField(null=True)
    detail = TextField()
    evidence = BlobField(null=True)
    created_at = DateTimeField()
    resolved_at = DateTimeField(null=True)


class Posting(BaseModel):
    """One version of a job posting (shared/postings.py); the current one has no ``superseded_by``."""

    id = AutoField()
    record = ForeignKeyField(Record, unique=True)
    node = ForeignKeyField(Node)
    node_id: ForeignKeyField[int]
    posting_id = TextField()
    kind = TextField()
    employer = TextField()
    title = TextField()
    township = TextField(null=True)
    village = TextField(null=True)
    place = TextField()
    pay = BigIntegerField()
    pay_unit = TextField()
    headcount = BigIntegerField()
    period_start = TextField(null=True)
    period_end = TextField(null=True)
    requirements = TextField(null=True)
    contact_name = TextField()
    contact_phone = TextField()
    valid_until = TextField()
    status = TextField()
    held = BooleanField()
    decision = TextField(null=True)
    group_id = BigIntegerField(null=True)
    block_a = TextField()
    block_b = TextField()
    superseded_by = BigIntegerField(null=True)
    change_seq = BigIntegerField()
    received_at = DateTimeField()


class Interest(BaseModel):
    """A job-seeker's interest in a posting, from the public page: a lead, matched to a roster person where
    possible, that counts for that person only once confirmed (issue 12)."""

    id = AutoField()
    record = ForeignKeyField(Record, unique=True)
    node = ForeignKeyField(Node)
    node_id: ForeignKeyField[int]
    posting_id = TextField()
    name = TextField()
    phone = TextField()
    village = TextField()
    id_number = TextField(null=True)
    interest_date = TextField()
    channel = TextField()
    person = ForeignKeyField(Person, null=True)  # a suggested match until confirmed (anyone can type a name)
    person_id: ForeignKeyField[int | None]
    received_at = DateTimeField()
    confirmed_by = TextField(null=True)  # the county or township user who confirmed the lead is this person
    confirmed_at = DateTimeField(null=True)


class Recommendation(BaseModel):
    """A posting recommended to a roster labourer (a signed record from a station or the hub)."""

    id = AutoField()
    record = ForeignKeyField(Record, unique=True)
    node = ForeignKeyField(Node)
    node_id: ForeignKeyField[int]
    posting_id = TextField()
    person = ForeignKeyField(Person, null=True)
    id_number = TextField()
    recommended_on = TextField()
    note = TextField(null=True)
    received_at = DateTimeField()


class PostingClock(BaseModel):
    id = IntegerField(primary_key=True)
    value = BigIntegerField()


class CountyUser(BaseModel):
    """A county or township user of the hub's pages (hub/accounts/users.py)."""

    id = AutoField()
    username = TextField(unique=True)
    display_name = TextField()
    password_hash = TextField()
    role = TextField()
    township = ForeignKeyField(Township, null=True)
    township_id: ForeignKeyField[int | None]
    active = BooleanField(default=True)
    failed_logins = BigIntegerField(default=0)
    locked_until = DateTimeField(null=True)  # unused since 0016: lockouts are per (user name, address)
    created_at = DateTimeField()
    session_epoch = BigIntegerField(default=0)
    must_change_password = BooleanField(default=False)  # after an administrator's reset (0019)


class SignInFailure(BaseModel):
    """Wrong passwords per typed user name and client address (shared/accounts.py); times in Unix seconds."""

    username = TextField()
    address = TextField()
    failures = BigIntegerField(default=0)
    locked_until = FloatField(null=True)
    updated_at = FloatField()

    class Meta:
        primary_key = CompositeKey("username", "address")


class RateLimitCounter(BaseModel):
    """A fixed-window counter of the rate limits' database storage (hub/store/ratelimit.py)."""

    bucket = TextField(primary_key=True)
    hits = BigIntegerField()
    expires_at = FloatField()


class ApiToken(BaseModel):
    """Another county system's token for the read API, scoped like a user; only its SHA-256 is kept."""

    id = AutoField()
    name = TextField(unique=True)
    token_hash = TextField(unique=True)
    role = TextField()
    township = ForeignKeyField(Township, null=True)
    township_id: ForeignKeyField[int | None]
    active = BooleanField(default=True)
    created_at = DateTimeField()


class SpotCheck(BaseModel):
    id = AutoField()
    month = TextField(unique=True)
    seed = TextField()
    per_township = BigIntegerField()
    drawn_by = TextField()
    drawn_at = DateTimeField()


class TaskClock(BaseModel):
    id = IntegerField(primary_key=True)
    value = BigIntegerField()


Clock = type[RosterClock] | type[PostingClock] | type[TaskClock]


def next_change_seq(clock: Clock) -> int:
    """Advance a change-sequence counter (``RosterClock``, ``PostingClock``, ``TaskClock``: one row, id 1) and
    return its new value, the ``change_seq`` stations pull after.  Call inside the transaction that writes the
    changed rows, so the counter and the rows commit together."""
    clock.update(value=clock.value + 1).where(clock.id == 1).execute()
    return clock.get_by_id(1).value


# Cleaning runs and anomalies (0002, 0013); verification tasks (0008).


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
    """A household to check on site, for an anomaly sent to the field or a spot check (hub/verification/tasks.py)."""

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


# Other departments' monthly lists (0010).


class DepartmentList(BaseModel):
    """One imported file: a kind of list for one month (schema: hub/store/migrations/0010_department_lists.sql)."""

    id = AutoField()
    kind = TextField()
    month = TextField()
    file_digest = TextField()
    rows = BigIntegerField()
    imported_at = DateTimeField()


class DepartmentEntry(BaseModel):
    """One person on a list; ``detail`` is the death date, 低保/特困, or school and stage."""

    id = AutoField()
    department_list = ForeignKeyField(DepartmentList, backref="entries", column_name="list_id")
    id_number = TextField()
    name = TextField()
    detail = TextField(default="")


# The "251" employment-support ledger (0024).


class SupportAction(BaseModel):
    """One support action recorded on the hub for a labourer (hub/roster/support_ledger.py)."""

    id = AutoField()
    id_number = TextField()
    action = TextField()  # guidance | job | training
    action_date = TextField()
    note = TextField(default="")
    recorded_by = TextField()
    recorded_at = DateTimeField()


# The audit log, a hash chain (0009).


class AuditLog(BaseModel):
    id = AutoField()
    seq = BigIntegerField(unique=True)
    at = DateTimeField()
    actor = TextField()  # "user:zhang", "token:education", "node:东岭站", "cli"
    action = TextField()  # "anomaly.answer", "role.change", "node.enrol", "access.denied", …
    subject = TextField()  # what was changed, e.g. "anomaly:12", "household:H0001"
    before_json = TextField(null=True)
    after_json = TextField(null=True)
    why = TextField(default="")
    prev_hash = TextField()
    hash = TextField()

    @property
    def before(self) -> Any:
        return None if self.before_json is None else json.loads(self.before_json)

    @property
    def after(self) -> Any:
        return None if self.after_json is None else json.loads(self.after_json)


class AuditHead(BaseModel):
    id = IntegerField(primary_key=True)
    seq = BigIntegerField()
    hash = TextField()

# Work outside the web request (0018): cleaning runs and uploaded imports; hub/jobs/records.py owns it.


class Job(BaseModel):
    id = AutoField()
    kind = TextField()  # clean, roster, department_list, postings
    status = TextField(default="queued")  # queued, running, done, failed
    actor = TextField()
    file_name = TextField(default="")
    params = TextField(default="{}")
    report = TextField(default="{}")
    message = TextField(default="")
    worker = TextField(default="")
    created_at = DateTimeField()
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)


# Every table of the hub: the schema test compares each with the migrations.

class UpwardLink(BaseModel):
    """County side (issue 17): the city this county reports to, its signer number there, its request counter."""

    id = AutoField()
    city_url = TextField()
    signer_id = BigIntegerField()
    public_key = BlobField()
    request_counter = BigIntegerField(default=0)
    enrolled_at = DateTimeField()


class UpwardRecord(BaseModel):
    """County side: the upward outbox, one hash chain signed by the county's upward key."""

    id = AutoField()
    seq = BigIntegerField(unique=True)
    kind = TextField()
    source = TextField(unique=True)  # what the record stands for, so nothing is staged twice
    prev = BlobField()
    hash = BlobField()
    content = BlobField()
    signature = BlobField()
    status = TextField(default="pending")  # pending, sent, rejected
    reason = TextField(null=True)
    created_at = DateTimeField()


class UpwardPush(BaseModel):
    """County side (0028): one push-up to the city and how it ended (owned by hub/upward/push.py)."""

    id = AutoField()
    started_at = DateTimeField()
    finished_at = DateTimeField()
    actor = TextField()  # cli, or the worker's hourly task
    outcome = TextField()  # done, refused (the city refused records), failed (nothing or part sent)
    code = TextField(null=True)  # the ErrorCode name a failed push ended with
    sent = BigIntegerField(default=0)
    duplicates = BigIntegerField(default=0)
    rejected = BigIntegerField(default=0)
    resent = BigIntegerField(default=0)
    staged = BigIntegerField(default=0)
    batches = BigIntegerField(default=0)
    bytes_sent = BigIntegerField(default=0)


class UpwardStation(BaseModel):
    """City side: a station as its county's latest statement describes it."""

    id = AutoField()
    county = ForeignKeyField(Node)
    county_id: ForeignKeyField[int]
    station = IntegerField()
    name = TextField()
    public_key = BlobField()
    villages = TextField()  # JSON list of 乡镇/村
    revoked = BooleanField(default=False)
    held = BigIntegerField(default=0)  # the station's records the county held when it revoked the station
    record = ForeignKeyField(Record)

    class Meta:
        indexes = ((("county", "station"), True),)


class UpwardForwarded(BaseModel):
    """City side: a station record a county forwarded, verified back to the station's key."""

    id = AutoField()
    county = ForeignKeyField(Node)
    county_id: ForeignKeyField[int]
    station = IntegerField()
    station_seq = BigIntegerField()
    kind = TextField()
    month = TextField(null=True)
    hash = BlobField()
    record = ForeignKeyField(Record)
    prev = BlobField(null=True)  # the station's chain link (0027; NULL on rows forwarded before it)
    household = TextField(null=True)  # a visit's household number (0027)

    class Meta:
        indexes = ((("county", "station", "station_seq"), True),)


class UpwardMonth(BaseModel):
    """City side: a county's figures of one month, as the county's newest record of it says."""

    id = AutoField()
    county = ForeignKeyField(Node)
    county_id: ForeignKeyField[int]
    month = TextField()
    figures = TextField()  # JSON, the county_month body
    record = ForeignKeyField(Record)
    record_id: ForeignKeyField[int]
    first_received_at = DateTimeField()
    received_at = DateTimeField()

    class Meta:
        indexes = ((("county", "month"), True),)


class UpwardPerson(BaseModel):
    """City side: a person of a county's roster by the keyed hash of the ID number under the region person key."""

    id = AutoField()
    county = ForeignKeyField(Node)
    county_id: ForeignKeyField[int]
    person = TextField(index=True)
    household = TextField()
    seq = BigIntegerField(default=0)  # the county's upward record that said so last (0027)
    withdrawn = BooleanField(default=False)  # gone from the county's roster (0027)

    class Meta:
        indexes = ((("county", "person"), True),)

class UpwardPersonSent(BaseModel):
    """County side (0027): what the county has told the city it holds, per topic ("roster", "transferred:MONTH"),
    so that a push-up sends only the changes and withdraws what is gone."""

    id = AutoField()
    topic = TextField()
    person = TextField()
    value = TextField()

    class Meta:
        indexes = ((("topic", "person"), True),)


class UpwardKept(BaseModel):
    """City side (0027): a station record that stays at the county, known by its hash and chain link only."""

    id = AutoField()
    county = ForeignKeyField(Node)
    county_id: ForeignKeyField[int]
    station = IntegerField()
    station_seq = BigIntegerField()
    prev = BlobField()
    hash = BlobField()
    reason = TextField()
    kind = TextField()
    month = TextField(null=True)
    household = TextField(null=True)
    record = ForeignKeyField(Record)

    class Meta:
        indexes = ((("county", "station", "station_seq"), True),)


class UpwardTransferred(BaseModel):
    """City side (0027): a labourer a county counts as in transferred employment in a month, by keyed hash."""

    id = AutoField()
    county = ForeignKeyField(Node)
    county_id: ForeignKeyField[int]
    month = TextField()
    person = TextField()
    place = TextField()
    seq = BigIntegerField()  # the county's upward record that said so last
    withdrawn = BooleanField(default=False)  # no longer counted as transferred that month

    class Meta:
        indexes = ((("county", "month", "person"), True),)


class UpwardChain(BaseModel):
    """City side (0031, owned by hub/upward/chain.py): a station's chain as the city holds it, kept at ingest."""

    id = AutoField()
    county = ForeignKeyField(Node, backref="+")
    county_id: ForeignKeyField[int]
    station = IntegerField()
    head_seq = BigIntegerField(default=0)  # every seq 1..head_seq held, whole or by hash
    head_hash = BlobField(null=True)  # the hash of head_seq (NULL while head_seq is 0)
    top_seq = BigIntegerField(default=0)  # the highest seq held

    class Meta:
        indexes = ((("county", "station"), True),)


class UpwardChainFault(BaseModel):
    """City side (0031, owned by hub/upward/chain.py): a gap in a station's chain (it goes when filled) or a
    break (it stays)."""

    id = AutoField()
    county = ForeignKeyField(Node, backref="+")
    county_id: ForeignKeyField[int]
    station = IntegerField()
    first_seq = BigIntegerField()
    last_seq = BigIntegerField()
    broken = BooleanField()

    class Meta:
        indexes = ((("county", "station", "first_seq", "broken"), True),)


class UpwardRelay(BaseModel):
    """Region side: a county as its city's newest statement vouches for it, and the node the region names it by."""

    id = AutoField()
    city = ForeignKeyField(Node, backref="+")
    city_id: ForeignKeyField[int]
    county = IntegerField()  # the county's signer number at the city
    node = ForeignKeyField(Node, backref="+")
    node_id: ForeignKeyField[int]
    name = TextField()
    public_key = BlobField()
    revoked = BooleanField(default=False)
    held = BigIntegerField(default=0)  # the county's records the city held when it revoked the county
    record = ForeignKeyField(Record)
    record_id: ForeignKeyField[int]

    class Meta:
        indexes = ((("city", "county"), True),)


class DashboardFigures(BaseModel):
    """The dashboard's figures as last computed for one view and month (0026; owned by hub/reports/figures.py)."""
    id = AutoField()
    scope = TextField()  # "county", or the township's id
    period = TextField()  # YYYY-MM
    computed_at = DateTimeField()
    figures = TextField()  # JSON


ALL_MODELS = [County, Township, Village, RosterClock, Household, Person, Node, NodeVillage, StationCertificate,
              FieldAccount, Record,
              Visit, VisitEmployment, VisitChange, Alarm, Posting, Interest, Recommendation, PostingClock,
              CountyUser, SignInFailure, RateLimitCounter, ApiToken, SpotCheck, TaskClock, CleaningRun, Anomaly,
              VerificationTask, CleaningSetting, DepartmentList, DepartmentEntry, SupportAction, AuditLog, AuditHead,
              Job, DashboardFigures, UpwardLink, UpwardRecord, UpwardStation, UpwardForwarded, UpwardMonth,
               UpwardPerson, UpwardPersonSent, UpwardKept, UpwardTransferred, UpwardPush, UpwardRelay,
               UpwardChain, UpwardChainFault]
