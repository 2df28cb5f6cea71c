"""Long work on the web over real processes (issue 15): the hub under gunicorn with two workers and
`fieldsync-hub worker`, on SQLite and (when FIELDSYNC_TEST_POSTGRES_URL is set) PostgreSQL.

A clerk in headless Chromium uploads a roster with bad rows and reads the row report, runs a cleaning run and
watches it finish, asks for a township's list, watches the worker build it, downloads it once and opens it with
openpyxl.  Queued work outlives a killed web
server and a worker that was not running when it was queued.
"""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from huey import SqliteHuey
from openpyxl import load_workbook

from devtools import synthetic
from devtools.processes import BIN, Hub, stop_group
from devtools.scratch import postgres_schema
from tests.e2e.browser import chromium, screenshot

pytestmark = pytest.mark.e2e
VILLAGES = synthetic.default_villages(1)[:2]
ROWS = synthetic.generate_roster(43, VILLAGES, 3)
PASSWORD = "county-clerk-1"
POSTGRES_URL = os.environ.get("FIELDSYNC_TEST_POSTGRES_URL", "")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def start_worker(hub: Hub) -> subprocess.Popen:
    log = (hub.data_dir.parent / "worker.log").open("ab")
    return subprocess.Popen([str(BIN / "fieldsync-hub"), "--data-dir", str(hub.data_dir), "--database-url",
                             hub.database_url, "worker"], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, env={**os.environ, **hub.env})


@pytest.fixture(scope="module", params=["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"])
def hub(request, tmp_path_factory) -> Iterator[Hub]:
    root = tmp_path_factory.mktemp(f"jobs-{request.param}")
    with postgres_schema(POSTGRES_URL) if request.param == "postgres" else _sqlite() as url:
        hub = Hub(root / "hub", url)
        hub.set_up(ROWS[: len(ROWS) // 2])
        hub.cli("add-user", "li", "--name", "李文员", "--role", "staff", "--password", PASSWORD)
        hub.start(workers=2)
        try:
            yield hub
        finally:
            hub.kill()


class _sqlite:
    def __enter__(self) -> str:
        return ""

    def __exit__(self, *exc: Any) -> None:
        return None


def signed_in(hub: Hub) -> requests.Session:
    session = requests.Session()
    token = TOKEN.search(session.get(f"{hub.url}/login").text)[1]
    reply = session.post(f"{hub.url}/login", data={"csrf_token": token, "username": "li", "password": PASSWORD})
    assert reply.ok and "/login" not in reply.url
    return session


def wait_ended(session: requests.Session, url: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = session.get(url).json()
        if state["ended"]:
            return state
        time.sleep(0.3)
    raise AssertionError(f"{url} did not end: {state}")


def bad_roster(folder: Path) -> Path:
    rows = [dict(row) for row in ROWS]
    rows[1]["id_number"] = "4.50224E+17"
    rows[2]["name"] = ""
    path = folder / "花名册-10月.csv"
    synthetic.write_roster_csv(rows, path)
    return path


def test_queued_work_outlives_a_killed_web_server_and_waits_for_the_worker(hub, tmp_path):
    session = signed_in(hub)
    page = session.get(f"{hub.url}/cleaning/").text
    sent = session.post(f"{hub.url}/cleaning/run", data={"csrf_token": TOKEN.search(page)[1], "period": "2026-10"})
    job_id = int(re.search(r"job=(\d+)", sent.url)[1])
    again = session.post(f"{hub.url}/cleaning/run", data={"csrf_token": TOKEN.search(page)[1]})
    assert again.status_code == 409 and "另一次清洗正在进行" in again.text  # the other gunicorn worker too
    hub.kill()  # SIGKILL to gunicorn's whole group, the job still queued
    hub.start(workers=2)
    session = signed_in(hub)
    assert session.get(f"{hub.url}/cleaning/jobs/{job_id}").json()["status"] == "queued"
    worker = start_worker(hub)
    try:
        state = wait_ended(session, f"{hub.url}/cleaning/jobs/{job_id}")
        assert state["status"] == "done", state
        assert "次清洗已完成" in session.get(f"{hub.url}/cleaning/?job={job_id}").text
    finally:
        stop_group(worker)


def test_a_job_taken_by_a_worker_killed_before_it_started_runs_at_the_next_start(hub, tmp_path):
    """SQLite: the test holds the hub database's write lock, so the worker takes the job from the queue and waits to
    mark it running; killed there, the job is in neither state it could be found by, until a worker starts."""
    if hub.database_url:
        pytest.skip("the write lock held from outside is SQLite's")
    session = signed_in(hub)
    page = session.get(f"{hub.url}/cleaning/").text
    sent = session.post(f"{hub.url}/cleaning/run", data={"csrf_token": TOKEN.search(page)[1], "period": "2026-10"})
    job_id = int(re.search(r"job=(\d+)", sent.url)[1])
    holder = sqlite3.connect(hub.data_dir / "hub.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    worker = start_worker(hub)
    try:
        waiting = SqliteHuey("fieldsync", filename=str(hub.data_dir / "queue.db"))
        deadline = time.monotonic() + 30
        while waiting.pending_count() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert waiting.pending_count() == 0  # taken
        time.sleep(0.5)
    finally:
        stop_group(worker)  # SIGKILL
        holder.execute("ROLLBACK")
        holder.close()
    assert session.get(f"{hub.url}/cleaning/jobs/{job_id}").json()["status"] == "queued"
    worker = start_worker(hub)
    try:
        assert wait_ended(session, f"{hub.url}/cleaning/jobs/{job_id}")["status"] == "done"
    finally:
        stop_group(worker)


def test_a_clerk_uploads_runs_a_cleaning_and_downloads_a_list_in_the_browser(hub, tmp_path):
    worker = start_worker(hub)
    try:
        with chromium() as browser:
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                       accept_downloads=True).new_page()
            page.set_default_timeout(60_000)
            page.goto(hub.url + "/imports/")
            page.fill("input[name=username]", "li")
            page.fill("input[name=password]", PASSWORD)
            page.click("form button")
            page.wait_for_selector("#upload")
            page.select_option("select[name=kind]", "roster")
            page.set_input_files("input[name=file]", str(bad_roster(tmp_path)))
            screenshot(page, "60-upload-roster")
            page.click("#upload button")
            page.wait_for_selector("#import-report")
            refused = page.inner_text("#refused")
            assert "第 3 行" in refused and "第 4 行" in refused
            assert "新增" in page.inner_text("#import-report")
            screenshot(page, "61-row-report")

            page.goto(hub.url + "/cleaning/")
            page.fill("#run-cleaning input[name=period]", "2026-10")
            page.click("#run-cleaning button")
            page.wait_for_selector("#cleaning-progress, #finished-job")
            screenshot(page, "62-cleaning-progress")
            page.wait_for_selector("#finished-job")
            assert "次清洗已完成" in page.inner_text("#finished-job") and "P5" in page.inner_text("body")
            screenshot(page, "63-cleaning-done")

            township = VILLAGES[0][0]
            page.goto(hub.url + "/exports/")
            page.click(f"#anomaly-lists tr:has-text('{township}') >> text=XLSX")  # the worker builds it
            page.wait_for_selector("#download-progress, #download-ready")
            screenshot(page, "64-download-building")
            page.wait_for_selector("#download-ready")
            job_url = page.url
            with page.expect_download() as download:
                page.click("#download-ready a")
            sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
            rows = list(sheet.iter_rows(values_only=True))
            assert township in rows[0][0]  # the office form: the title first, then the header
            header = next(index for index, row in enumerate(rows) if "乡(镇)" in row)
            column = rows[header].index("乡(镇)")
            listed = [row for row in rows[header + 1:] if isinstance(row[0], int)]  # 序号 numbers the rows
            assert listed and {row[column] for row in listed} == {township}
            page.goto(job_url)
            assert "文件已从平台删除" in page.inner_text("#download-gone")  # fetched once, then gone
            screenshot(page, "65-download-fetched")
            assert not list((hub.data_dir / "downloads").iterdir())
    finally:
        stop_group(worker)


def test_a_download_built_by_the_worker_is_fetched_once_through_either_web_process(hub):
    """Two gunicorn workers, one download: whichever process answers, the file goes to its asker once."""
    worker = start_worker(hub)
    try:
        session = signed_in(hub)
        page = session.get(f"{hub.url}/exports/").text
        asked = session.post(f"{hub.url}/exports/coverage.xlsx",
                             data={"csrf_token": TOKEN.search(page)[1], "period": "2026-10"})
        job_id = int(asked.url.rsplit("/", 1)[1])
        assert wait_ended(session, f"{hub.url}/exports/jobs/{job_id}/state")["status"] == "done"
        folder = hub.data_dir / "downloads" / str(job_id)
        [kept] = list(folder.iterdir())
        assert (folder.stat().st_mode & 0o777, kept.stat().st_mode & 0o777) == (0o700, 0o600)
        stranger = requests.get(f"{hub.url}/exports/jobs/{job_id}/file", allow_redirects=False)
        assert stranger.status_code in (302, 401, 403) and not stranger.content.startswith(b"PK")
        fetches = [session.get(f"{hub.url}/exports/jobs/{job_id}/file") for _ in range(4)]
        assert [reply.status_code for reply in fetches] == [200, 404, 404, 404]
        assert load_workbook(io.BytesIO(fetches[0].content)).active.max_row > 1
        assert "已经下载过" in fetches[1].text and not folder.exists()
    finally:
        stop_group(worker)
