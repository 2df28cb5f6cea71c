"""Long work from the web (issue 15): cleaning runs with progress, uploads with their row reports, scoped and
audited downloads, the schedule, one cleaning run at a time.  The queue is huey's own in immediate mode here
(the task runs in the request); tests/e2e/test_jobs_processes.py runs the real worker and gunicorn."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from devtools import synthetic
from hub.audit import entries_about
from hub.cleaning import runner
from hub.cleaning.rules import CATALOGUE
from hub.jobs import downloads as downloads_module
from hub.jobs import queue, records, tasks
from hub.store import db
from hub.store.models import Anomaly, Job, Township
from shared.errors import ErrorCode, FieldsyncError
from tests.conftest import make_user, signed_in
from tests.support import VILLAGES


@pytest.fixture
def immediate(app):
    queue.queue(app).immediate = True
    return app


def staff(app):
    return signed_in(app, make_user(app, "clerk", "staff"))


def test_a_clerk_runs_a_cleaning_run_and_sees_its_counts(immediate, county):
    app = immediate
    client = staff(app)
    assert "运行清洗" in client.get("/cleaning/").get_data(as_text=True)
    started = client.post("/cleaning/run", data={"period": "2026-10"})
    assert started.status_code == 302
    job = Job.select().order_by(Job.id.desc()).get()
    assert job.status == records.DONE and job.actor == "user:clerk"
    result = records.report(job)
    assert set(result["rules"]) == set(CATALOGUE) and result["period"] == "2026-10"
    state = client.get(f"/cleaning/jobs/{job.id}").get_json()
    assert state["ended"] and state["status_zh"] == "已完成"
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert f"第 {result['run_id']} 次清洗已完成" in page and "fieldsync-hub clean" not in page and "clerk" in page
    assert [e.action for e in entries_about(f"job:{job.id}")] == ["cleaning.queue"]


def test_a_second_run_is_refused_in_chinese_while_one_is_queued(app, hub_db):
    client = staff(app)
    first = records.queue_cleaning("user:clerk")
    refused = client.post("/cleaning/run")
    assert refused.status_code == 409 and "另一次清洗正在进行" in refused.get_data(as_text=True)
    assert Job.select().count() == 1
    page = client.get("/cleaning/").get_data(as_text=True)
    assert f'data-job-poll="/cleaning/jobs/{first.id}"' in page and "运行清洗</button>" not in page


@pytest.mark.parametrize("role", ["township", "viewer"])
def test_only_county_staff_start_runs_and_imports(app, hub_db, role):
    client = signed_in(app, make_user(app, "someone", role, "大将镇" if role == "township" else None))
    assert client.post("/cleaning/run").status_code == 403
    assert client.get("/imports/").status_code == 403
    assert client.post("/imports/", data={"kind": "roster"}).status_code == 403
    assert Job.select().count() == 0


def test_one_cleaning_run_at_a_time_across_processes(app, hub_db, tmp_path):
    """The lock held here refuses `fieldsync-hub clean` in another process, and a run in this one."""
    with runner.exclusive():
        with pytest.raises(FieldsyncError) as refused:
            runner.run("2026-10")
        assert refused.value.code == ErrorCode.CLEANING_BUSY
        cli = subprocess.run([str(Path(sys.executable).with_name("fieldsync-hub")), "--data-dir",
                              app.config["DATA_DIR"], "--database-url", app.config["DATABASE_URL"], "clean",
                              "--period", "2026-10"], capture_output=True, text=True, env=os.environ)
        assert cli.returncode == 1 and "另一次清洗正在进行" in cli.stderr
    assert runner.run("2026-10").finished_at is not None  # released



def test_the_cleaning_lock_is_per_schema_on_postgresql(app, hub_db):
    """Two hubs (or test runs) in two schemas of one PostgreSQL server never wait for each other's runs."""
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("PostgreSQL's advisory lock; SQLite locks a file beside its own database")
    import psycopg2

    from devtools.scratch import postgres_schema

    def try_lock(url: str) -> bool:
        connection = psycopg2.connect(url)
        try:
            cursor = connection.cursor()
            cursor.execute(runner.SCHEMA_LOCK_SQL.format(function="pg_try_advisory_lock"), (runner.LOCK_KEY,))
            return bool(cursor.fetchone()[0])
        finally:
            connection.close()

    with runner.exclusive():
        assert not try_lock(app.config["DATABASE_URL"])  # the same schema waits
        with postgres_schema(app.config["DATABASE_URL"].split("?")[0]) as other:
            assert try_lock(other)  # another schema does not
    assert try_lock(app.config["DATABASE_URL"])

def _roster_with_bad_rows(tmp_path: Path) -> Path:
    rows = synthetic.generate_roster(3, VILLAGES, 2)
    rows[1] = {**rows[1], "id_number": "4.50224E+17"}
    rows[2] = {**rows[2], "name": ""}
    path = tmp_path / "花名册.csv"
    synthetic.write_roster_csv(rows, path)
    return path


def test_a_roster_upload_shows_its_row_report_and_is_kept_as_a_record(immediate, hub_db, tmp_path):
    client = staff(immediate)
    path = _roster_with_bad_rows(tmp_path)
    sent = client.post("/imports/", data={"kind": "roster", "file": (path.open("rb"), path.name)},
                       content_type="multipart/form-data")
    assert sent.status_code == 302
    job = Job.get(Job.kind == "roster")
    assert job.status == records.DONE and job.file_name == "花名册.csv"
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "未导入的行（2 行）" in page and "第 3 行" in page and "第 4 行" in page and "读取" in page
    assert not list(Path(immediate.config["DATA_DIR"], tasks.UPLOADS).iterdir())  # the file is gone once read
    listing = client.get("/imports/").get_data(as_text=True)
    assert "花名册.csv" in listing and "2 行未导入" in listing and "clerk" in listing
    [entry] = entries_about(f"job:{job.id}")
    assert entry.action == "import.upload" and entry.actor == "user:clerk"


def test_an_upload_may_be_as_large_as_the_import_limit_not_the_request_limit(immediate, hub_db, tmp_path):
    client = staff(immediate)
    path = _roster_with_bad_rows(tmp_path)
    immediate.config["MAX_CONTENT_LENGTH"] = path.stat().st_size // 2  # what other requests may send
    sent = client.post("/imports/", data={"kind": "roster", "file": (path.open("rb"), path.name)},
                       content_type="multipart/form-data")
    assert sent.status_code == 302 and Job.get(Job.kind == "roster").status == records.DONE
    immediate.config["IMPORT_MAX_UNCOMPRESSED_BYTES"] = path.stat().st_size // 2
    too_large = client.post("/imports/", data={"kind": "roster", "file": (path.open("rb"), path.name)},
                            content_type="multipart/form-data")
    assert too_large.status_code == 413 and "文件超过导入上限" in too_large.get_data(as_text=True)
    assert Job.select().count() == 1


def test_an_upload_of_the_wrong_kind_of_file_is_refused_in_chinese(immediate, hub_db):
    client = staff(immediate)
    bad = client.post("/imports/", data={"kind": "roster", "file": (io.BytesIO(b"x"), "a.pdf")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "请选择 .xlsx" in bad.get_data(as_text=True)
    no_month = client.post("/imports/", data={"kind": "department_list", "list_kind": "death",
                                              "file": (io.BytesIO(b"a,b\n"), "d.csv")},
                           content_type="multipart/form-data")
    assert no_month.status_code == 422 and "月份" in no_month.get_data(as_text=True)
    assert Job.select().count() == 0


def test_a_department_list_and_postings_upload_run_through_the_cli_code(immediate, county, tmp_path):
    client = staff(immediate)
    person = county[0]
    death = tmp_path / "death.csv"
    death.write_text(f"姓名,证件号码,死亡日期\n{person['name']},{person['id_number']},2026-10-02\n", encoding="utf-8")
    client.post("/imports/", data={"kind": "department_list", "list_kind": "death", "month": "2026-10",
                                   "file": (death.open("rb"), "death.csv")}, content_type="multipart/form-data")
    job = Job.get(Job.kind == "department_list")
    assert job.status == records.DONE, job.message
    assert records.report(job)["imported"] == 1 and "死亡登记名单" in records.report(job)["summary"]
    postings = tmp_path / "jobs.csv"
    postings.write_text("用人单位,岗位名称\n某公司,\n", encoding="utf-8")
    client.post("/imports/", data={"kind": "postings", "file": (postings.open("rb"), "jobs.csv")},
                content_type="multipart/form-data")
    job = Job.get(Job.kind == "postings")
    assert job.status in (records.DONE, records.FAILED)
    page = client.get(f"/imports/{job.id}").get_data(as_text=True)
    assert ("第 2 行" in page) if job.status == records.DONE else ("没有导入" in page)


def download(client, path: str, period: str = ""):
    """Ask for a download (the worker builds it: immediate mode here), open its page, fetch the file once."""
    asked = client.post(path, data={"period": period} if period else {})
    assert asked.status_code == 302, (path, asked.status_code, asked.get_data(as_text=True)[:300])
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert 'id="download-ready"' in page, page
    job_id = int(asked.headers["Location"].rsplit("/", 1)[1])
    return job_id, client.get(f"/exports/jobs/{job_id}/file")


def test_downloads_are_scoped_to_the_role_and_audited(immediate, county):
    app = immediate
    runner.run("2026-10")
    own = Anomaly.select().where(Anomaly.township.is_null(False)).first()
    mine = Township.get_by_id(own.township_id).name
    other = next(t.name for t in Township.select() if t.name != mine)
    officer = signed_in(app, make_user(app, "officer", "township", mine))
    page = officer.get("/exports/").get_data(as_text=True)
    assert mine in page and other not in page and "全县报表" not in page
    job_id, got = download(officer, f"/exports/anomalies/{mine}.xlsx")
    assert got.status_code == 200 and got.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(got.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert mine in rows[0][0]  # the office form: the title first, then 填报单位 and 统计时间, then the header
    header = next(index for index, row in enumerate(rows) if "乡(镇)" in row)
    column = rows[header].index("乡(镇)")
    listed = [row for row in rows[header + 1:] if isinstance(row[0], int)]  # 序号 numbers the rows; footers have none
    assert listed and {row[column] for row in listed} == {mine}
    assert officer.post(f"/exports/anomalies/{other}.xlsx").status_code == 403
    assert officer.post("/exports/labour.xlsx").status_code == 403
    county_user = staff(app)
    for table in ("labour", "income", "coverage"):
        _, reply = download(county_user, f"/exports/{table}.csv", period="2026-10")
        assert reply.status_code == 200 and reply.data.startswith("\ufeff".encode()), table
    assert download(county_user, f"/exports/anomalies/{other}.csv")[1].status_code == 200
    downloads = [(e.actor, e.subject) for e in entries_about(f"export:anomalies:{mine}")
                 if e.action == "export.download"]
    assert downloads == [("user:officer", f"export:anomalies:{mine}")]
    newest_first = [e.action for e in entries_about(f"export:anomalies:{other}")]
    assert newest_first == ["export.download", "access.denied"]
    assert not list(Path(app.config["DATA_DIR"], "downloads").iterdir())  # nothing left on disk


def test_a_download_is_fetched_once_by_the_user_who_asked_and_no_one_else(immediate, county):
    app = immediate
    runner.run("2026-10")
    mine = Township.get_by_id(Anomaly.select().where(Anomaly.township.is_null(False)).first().township_id).name
    officer = signed_in(app, make_user(app, "officer", "township", mine))
    colleague = signed_in(app, make_user(app, "colleague", "township", mine))
    admin = signed_in(app, make_user(app, "boss", "admin"))
    asked = officer.post(f"/exports/anomalies/{mine}.xlsx")
    job_id = int(asked.headers["Location"].rsplit("/", 1)[1])
    folder = Path(app.config["DATA_DIR"], "downloads", str(job_id))
    [kept] = list(folder.iterdir())
    assert (folder.stat().st_mode & 0o777, kept.stat().st_mode & 0o777) == (0o700, 0o600)
    for stranger in (colleague, admin):  # the same township, or the county's admin: not theirs
        assert stranger.get(f"/exports/jobs/{job_id}/file").status_code == 403
        assert stranger.get(f"/exports/jobs/{job_id}").status_code == 403
    assert [e.actor for e in entries_about(f"export-job:{job_id}")] == ["user:boss", "user:boss", "user:colleague",
                                                                          "user:colleague"]
    assert officer.get(f"/exports/jobs/{job_id}/file").status_code == 200
    again = officer.get(f"/exports/jobs/{job_id}/file")
    assert again.status_code == 404 and "已经下载过" in again.get_data(as_text=True)
    assert not folder.exists()
    page = officer.get(f"/exports/jobs/{job_id}").get_data(as_text=True)
    assert 'id="download-gone"' in page and "下载，文件已从平台删除" in page
    assert "我最近申请的下载" in officer.get("/exports/").get_data(as_text=True)
    assert "我最近申请的下载" not in colleague.get("/exports/").get_data(as_text=True)


def test_an_unfetched_download_is_deleted_after_the_documented_time(immediate, county):
    app = immediate
    runner.run("2026-10")
    client = staff(app)
    asked = client.post("/exports/coverage.xlsx", data={"period": "2026-10"})
    job_id = int(asked.headers["Location"].rsplit("/", 1)[1])
    folder = Path(app.config["DATA_DIR"], "downloads", str(job_id))
    assert downloads_module.prune(app) == 0 and folder.is_dir()
    minutes = app.config["DOWNLOAD_KEEP_MINUTES"]
    Job.update(finished_at=datetime.utcnow() - timedelta(minutes=minutes, seconds=1)).where(Job.id == job_id).execute()
    assert client.get(f"/exports/jobs/{job_id}/file").status_code == 404
    assert downloads_module.prune(app) == 1 and not folder.exists()
    page = client.get(f"/exports/jobs/{job_id}").get_data(as_text=True)
    assert f"超过 {minutes} 分钟未下载，文件已删除" in page


def test_the_worker_sweeps_downloads_every_few_minutes(app, hub_db):
    huey = queue.queue(app)
    [sweep] = huey.read_periodic(datetime(2026, 10, 1, 3, 5))
    assert sweep.name == "prune_downloads" and huey.read_periodic(datetime(2026, 10, 1, 3, 6)) == []
    Path(app.config["DATA_DIR"], "downloads", "999").mkdir(parents=True)  # of no job: swept
    huey.execute(sweep)
    assert not Path(app.config["DATA_DIR"], "downloads", "999").exists()


def test_the_schedule_runs_on_the_1st_11th_and_21st_in_county_time_once_per_slot(app, hub_db):
    # 02:00 in Asia/Shanghai is 18:00 UTC the day before.
    assert tasks.cleaning_due(app, datetime(2026, 11, 10, 18, 0))
    assert not tasks.cleaning_due(app, datetime(2026, 11, 11, 2, 0))
    assert not tasks.cleaning_due(app, datetime(2026, 11, 11, 18, 0))
    assert not tasks.cleaning_due(app, datetime(2026, 11, 10, 18, 1))
    queued: list[int] = []
    first = tasks.scheduled_cleaning(app, queued.append)
    assert first is not None and tasks.scheduled_cleaning(app, queued.append) is None and queued == [first]
    assert Job.get_by_id(first).actor == tasks.SCHEDULE_ACTOR


def test_the_worker_s_huey_asks_for_the_scheduled_run_at_its_minute(app, hub_db):
    huey = queue.queue(app)
    huey.flush()
    due = huey.read_periodic(datetime(2026, 11, 20, 18, 0))  # the 21st, 02:00 county time (and a sweep's minute)
    assert sorted(task.name for task in due) == ["prune_downloads", "refresh_dashboards", "scheduled_cleaning"]
    later = huey.read_periodic(datetime(2026, 11, 20, 19, 0))
    assert sorted(task.name for task in later) == ["prune_downloads", "refresh_dashboards"]
    huey.execute(next(task for task in due if task.name == "scheduled_cleaning"))
    job = Job.get(Job.actor == tasks.SCHEDULE_ACTOR)
    assert job.status == records.QUEUED and huey.pending_count() == 1  # queued for a worker thread to take
    huey.flush()


def test_a_job_cut_off_by_a_killed_worker_goes_back_in_the_queue(app, hub_db):
    dead = subprocess.Popen(["true"])
    dead.wait()
    job = records.create("roster", "user:clerk", "a.csv")
    records.start(job.id)
    Job.update(worker=f"{records.this_worker().rpartition(':')[0]}:{dead.pid}").where(Job.id == job.id).execute()
    alive = records.create("roster", "user:clerk", "b.csv")
    records.start(alive.id)  # this process: alive
    assert records.orphans() == [job.id]
    assert Job.get_by_id(job.id).status == records.QUEUED and Job.get_by_id(alive.id).status == records.RUNNING


def test_a_starting_worker_runs_again_what_a_killed_one_left(immediate, county):
    dead = subprocess.Popen(["true"])
    dead.wait()
    job = records.queue_cleaning("user:clerk", {"period": "2026-10"})
    records.start(job.id)
    host = records.this_worker().rpartition(":")[0]
    Job.update(worker=f"{host}:{dead.pid}").where(Job.id == job.id).execute()
    assert queue.requeue_orphans(immediate) == [job.id]
    assert Job.get_by_id(job.id).status == records.DONE


REDIS_URL = os.environ.get("FIELDSYNC_TEST_REDIS_URL", "")


@pytest.mark.parametrize("store", ["sqlite", pytest.param("redis", marks=pytest.mark.skipif(
    not REDIS_URL, reason="FIELDSYNC_TEST_REDIS_URL not set"))])
def test_queued_work_outlives_the_process_that_queued_it(app, county, store):
    """A job queued by one process's huey is taken by a new one on the same store (a restarted worker)."""
    app.config["QUEUE_URL"] = REDIS_URL if store == "redis" else ""
    queue.queue(app).flush()
    job = records.queue_cleaning("user:clerk", {"period": "2026-10"})
    queue.enqueue(job.id, app)
    app.extensions[queue.EXTENSION].clear()  # as after a restart: a new huey on the same store
    later = queue.queue(app)
    assert later.pending_count() == 1
    later.execute(later.dequeue())
    assert Job.get_by_id(job.id).status == records.DONE and later.pending_count() == 0
    assert not db.database.is_closed()  # the job left the caller's connection open
    later.flush()


def test_a_queue_that_cannot_be_reached_fails_the_job_and_blocks_no_later_run(app, hub_db, tmp_path):
    app.config["QUEUE_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    client = staff(app)
    refused = client.post("/cleaning/run")
    assert refused.status_code == 500 and "任务队列无法使用" in refused.get_data(as_text=True)
    assert Job.get().status == records.FAILED and records.active_cleaning() is None


def test_a_roster_upload_shows_the_importers_progress_while_it_runs(app, hub_db, tmp_path):
    client = staff(app)
    rows = synthetic.generate_roster(4, VILLAGES, 40)
    path = tmp_path / "花名册.csv"
    synthetic.write_roster_csv(rows, path)
    job = records.create("roster", "user:clerk", path.name)
    tasks.upload_path(app, job.id, ".csv").write_bytes(path.read_bytes())
    heard: list[dict] = []
    tasks.run_job(app, heard.append, job.id)  # what the worker runs; huey's store gets each state
    households = len({row["household_id"] for row in rows})
    assert heard[-1] == {"done": households, "total": households, "step": "正在写入各户"}
    assert {"done": len(rows), "total": len(rows), "step": "正在检查各行"} in heard
    Job.update(status=records.RUNNING).where(Job.id == job.id).execute()
    queue.Progress(queue.queue(app), job.id)({"done": 7, "total": len(rows), "step": "正在检查各行"})
    state = client.get(f"/imports/{job.id}/state").get_json()
    assert (state["done"], state["total"], state["step"], state["ended"]) == (7, len(rows), "正在检查各行", False)
    page = client.get(f"/imports/{job.id}").get_data(as_text=True)
    assert "data-job-step" in page and "data-job-bar" in page


def test_the_command_line_import_shows_the_same_steps(app, runner, database_url, tmp_path):
    from hub.cli import main

    path = tmp_path / "花名册.csv"
    synthetic.write_roster_csv(synthetic.generate_roster(4, VILLAGES, 3), path)
    result = runner.invoke(main, ["--data-dir", app.config["DATA_DIR"], "--database-url", database_url,
                                  "import-roster", str(path)])
    assert result.exit_code == 0, result.output
    assert "读取文件" in result.output and "检查各行" in result.output and "写入各户" in result.output
    assert "新增" in result.output
