"""The offline app's household work on the phone (issue 14), in Debian's Chromium at 360×640 with touch, against a
real hub (SQLite, and PostgreSQL when FIELDSYNC_TEST_POSTGRES_URL is set) and station on loopback: a family change
with an ID number sealed in the browser (only the hub opens it), a correction of an earlier visit that the household
signs again and says why, the household page, a name typed with a homophone found with no network, a visit the
station refuses fixed on the phone, and a sign-out posted without the page's question that keeps the queued
visits."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from datetime import date

import pytest
import requests

from devtools import synthetic
from devtools.processes import stop_group
from shared import sealing
from tests.e2e import offline_world
from tests.e2e.browser import Taps, screenshot
from tests.e2e.offline_world import (
    PASSWORD,
    ROWS,
    THIS_MONTH,
    households,
    hub_phone_visits,
    offline_phone,
    phone_store,
    station_visits,
    unchanged_visit,
    wait_for_text,
)

pytestmark = pytest.mark.e2e
world = offline_world.world_on_each_backend  # the hub (SQLite, and PostgreSQL when set) and station they share
NUMBERS = sorted(households())


def station_records(world: dict, number: str) -> list[dict]:
    with sqlite3.connect(world["station"].data_dir / "node.db") as db:
        return [json.loads(content) for (content,) in db.execute(
            "SELECT content FROM record WHERE household = ? AND month = ? ORDER BY seq", (number, THIS_MONTH))]


def go_offline(world: dict, context) -> None:
    context.set_offline(True)
    stop_group(world["web"])  # the station is gone too, not only the phone's network


def come_back(world: dict, context) -> None:
    world["web"] = world["station"].serve(world["port"])
    context.set_offline(False)


def sign(page) -> None:
    Taps(page).sign()
    page.wait_for_function("document.getElementById('signature').value.length > 100")


def test_a_birth_with_its_id_number_and_a_correction_made_offline_reach_the_hub(world):
    from playwright.sync_api import sync_playwright

    from hub.roster.sealing_keys import SEAL_KEY_FILE, load_key

    number = NUMBERS[0]
    newborn = synthetic.make_id_number(random.Random(3), date.fromisoformat(THIS_MONTH + "-01"), True)
    with sync_playwright() as playwright:
        browser, context, page = offline_phone(playwright, world)
        go_offline(world, context)
        page.reload()
        page.click(f"a.household-link[data-number='{number}']")  # 户况, offline
        page.wait_for_selector("#household-members")
        members = page.inner_text("#household-members")
        assert "岁" in members and not re.search(r"\d{4}-\d{2}", members)  # ages, never a birth date
        assert not re.search(r"\d{6}\*+\d{3}[\dX]|\d{17}[\dX]", page.content())  # no part of any ID number
        assert "县里已收" in page.inner_text("#household-visits")  # last month's visit, at the hub
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(page, "offline-05-household")
        page.click("#visit-this-month")
        page.wait_for_selector("#offline-visit-form")
        page.click("#all-unchanged")
        page.click("input[name=method][value=in_person]")
        page.click("input[name=ack_status][value=confirmed]")
        page.click("#family-changes summary")
        page.select_option("select[name=change_0_type]", "birth")
        page.fill("input[name=change_0_name]", "周小宝")
        page.fill("input[name=change_0_id_number]", newborn[:-1] + ("0" if newborn[-1] != "0" else "1"))
        sign(page)
        page.click("#save")
        assert "校验位不对" in page.inner_text("#error-change_0_id_number")  # checked on the phone, in Chinese
        page.fill("input[name=change_0_id_number]", newborn)
        page.wait_for_timeout(700)  # a draft is written while typing: it must not hold the number either
        assert newborn not in json.dumps(phone_store(page))
        page.click("#save")
        page.wait_for_selector("#saved-note")
        held = json.dumps(phone_store(page), ensure_ascii=False)
        assert newborn not in held and '"change_0_id_sealed"' in held  # only the sealed text on the phone

        come_back(world, context)
        page.goto(world["url"] + "/offline#/queue")
        wait_for_text(page, "#queue-list", "已交站点")
        page.wait_for_function("n => window.FieldsyncStore.store.get('meta', 'bundle').then(b => "
                               "b.households.some(h => h.number === n && h.visits.length > 1))", arg=number)
        first = station_records(world, number)
        assert len(first) == 1 and first[0]["body"]["changes"][0]["name"] == "周小宝"

        go_offline(world, context)  # the household says the wage was wrong: corrected at the door, offline
        page.reload()
        page.wait_for_selector("#queue-list")
        page.goto(world["url"] + f"/offline#/h/{number}")
        page.wait_for_selector("a.correct-link")
        page.click("a.correct-link")
        page.wait_for_selector("#correction-notice")
        assert "重新签名" in page.inner_text("#correction-notice")  # said up front, not after a refused save
        page.fill("input[name=income_wage]", str(first[0]["body"]["income"]["wage"] + 500))
        page.click("#save")
        assert "为什么更正" in page.inner_text("#error-correction_reason")
        assert "签名" in page.inner_text("#error-signature")  # the household signs again
        page.fill("#correction-reason", "工资少记了500元")
        sign(page)
        page.click("#save")
        page.wait_for_selector("#saved-note")
        screenshot(page, "offline-06-corrected")

        come_back(world, context)
        page.goto(world["url"] + "/offline#/queue")
        wait_for_text(page, ".queue-count", "待上传 0 条")
        both = station_records(world, number)
        assert len(both) == 2 and both[1]["body"]["corrects"]
        assert {"code": "correction", "reason": "工资少记了500元"} in both[1]["body"]["warnings"]
        assert both[1]["body"]["changes"][0]["id_sealed"] == first[0]["body"]["changes"][0]["id_sealed"]
        browser.close()
    world["station"].cli("sync")
    assert hub_phone_visits(world["hub"]).count(number) == 2
    sealed = first[0]["body"]["changes"][0]["id_sealed"]
    assert sealing.open_sealed(load_key(world["hub"].data_dir / SEAL_KEY_FILE), sealed) == newborn  # the hub opens it


def homophone_of(name: str) -> str:
    """``name`` with its given name's last character replaced by another of the same reading."""
    from devtools.phone_readings import TARGET

    for line in TARGET.read_text(encoding="utf-8").splitlines():
        chars = line.split(" ")[1]
        if name[-1] in chars:
            other = next(c for c in chars if c != name[-1])
            return name[:-1] + other
    raise AssertionError(f"no reading for {name[-1]}")


def test_a_name_typed_with_a_homophone_is_found_on_the_phone_with_no_network(world):
    from playwright.sync_api import sync_playwright

    person = next(row for row in ROWS if row["household_id"] == NUMBERS[1] and len(row["name"]) >= 2)
    typed = homophone_of(person["name"])
    assert typed != person["name"]
    with sync_playwright() as playwright:
        browser, context, page = offline_phone(playwright, world)
        go_offline(world, context)
        page.reload()
        page.wait_for_selector("button.household-row")
        page.fill("#offline-search", typed)
        rows = page.locator("button.household-row")
        assert rows.count() >= 1
        assert NUMBERS[1] in [rows.nth(i).get_attribute("data-number") for i in range(rows.count())]
        page.fill("#offline-search", "嚻嚻")  # no reading in the table: nothing, and no error
        assert page.locator("button.household-row").count() == 0
        browser.close()
    world["web"] = world["station"].serve(world["port"])


def test_a_visit_the_station_refuses_is_fixed_on_the_phone_and_stored_once(world):
    """Offline, the grid member records a household that a colleague meanwhile recorded at the station: the station
    refuses the phone's visit as a second visit; the phone says so in Chinese with what to do, the grid member
    confirms it is a real second visit with a reason, and it goes up — once at the station, once at the hub."""
    from playwright.sync_api import sync_playwright

    from tests.field_node.web.test_visits import full_form

    number = NUMBERS[2]
    with sync_playwright() as playwright:
        browser, context, page = offline_phone(playwright, world)
        go_offline(world, context)
        page.reload()
        page.wait_for_selector("button.household-row")
        unchanged_visit(page, number, in_person=False)
        world["web"] = world["station"].serve(world["port"])
        colleague = requests.Session()  # meanwhile, at the station
        login = colleague.get(world["url"] + "/login", timeout=10).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        colleague.post(world["url"] + "/login", timeout=10,
                       data={"csrf_token": csrf, "username": "wang", "password": PASSWORD})
        form = colleague.get(f"{world['url']}/h/{number}/visit", timeout=10).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        saved = colleague.post(f"{world['url']}/h/{number}/visit", timeout=10, allow_redirects=False,
                               data={**full_form(method="phone", signature=None, all_unchanged="1", income_wage=None,
                                                income_business=None, income_property=None, income_transfer=None,
                                                income_expenses=None), "csrf_token": csrf})
        assert saved.status_code == 302, re.findall(r'class="field-error"[^>]*>([^<]+)', saved.text)
        context.set_offline(False)
        page.goto(world["url"] + "/offline#/queue")
        wait_for_text(page, "#queue-list", "站点退回")
        page.click("#queue-list a.button")  # 修改
        page.wait_for_selector("#refusal")
        assert "请按下面红字修改" in page.inner_text("#refusal")
        warning = page.inner_text("#warning-second_visit")
        assert "已有" in warning and "second_visit" not in page.inner_text("#view")  # Chinese, no raw code
        screenshot(page, "offline-07-refused")
        page.check("#warning-second_visit input[type=checkbox]")
        page.fill("#warning-second_visit input[name=reason_second_visit]", "户主外出回来后再次核实")
        page.click("#save")
        page.wait_for_selector("#saved-note")
        wait_for_text(page, ".queue-count", "待上传 0 条")
        wait_for_text(page, "#queue-list", "已交站点")
        mine = [row for row in station_visits(world["station"]) if row[1] == number]
        assert len(mine) == 1 and len(station_records(world, number)) == 2
        browser.close()
    world["station"].cli("sync")
    assert hub_phone_visits(world["hub"]).count(number) == 2  # the colleague's and the phone's, each once
    world["station"].cli("sync")
    assert hub_phone_visits(world["hub"]).count(number) == 2


def test_a_sign_out_posted_without_the_pages_question_keeps_the_queued_visits(world):
    from playwright.sync_api import sync_playwright

    number = NUMBERS[3]
    with sync_playwright() as playwright:
        browser, context, page = offline_phone(playwright, world)
        page.route("**/api/phone/visits", lambda route: route.abort())  # out of range while recording
        page.wait_for_selector("button.household-row")
        unchanged_visit(page, number, in_person=False)
        wait_for_text(page, ".queue-count", "待上传 1 条")
        page.goto(world["url"] + "/")
        page.wait_for_selector("#sign-out-form")
        # As a browser without JavaScript posts it: the form goes without the script's question.
        page.evaluate("HTMLFormElement.prototype.submit.call(document.getElementById('sign-out-form'))")
        page.wait_for_selector("#signed-out-kept")
        assert "仍保存在手机上" in page.inner_text("#signed-out-kept")
        page.wait_for_function("window.FieldsyncStore.store.get('meta', 'bundle').then(b => b === undefined)")
        held = phone_store(page)
        assert [v["household"] for v in held["queue"]] == [number] and held["meta"] == []  # no list, no session
        page.unroute("**/api/phone/visits")
        page.fill("input[name=username]", "wang")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#offline-start")
        page.click("#offline-start")
        page.wait_for_url("**/offline")
        wait_for_text(page, ".queue-count", "待上传 0 条")
        assert [row[1] for row in station_visits(world["station"])].count(number) == 1
        browser.close()


def test_a_note_with_a_phone_number_is_refused_on_the_phone_before_anything_is_kept(world):
    """A grid member types a household's mobile number into the note: the phone refuses it next to the note with
    what to do (shared/free_text.py, mirrored in phone_checks.js), keeps no visit; without the number it saves."""
    from playwright.sync_api import sync_playwright

    number = NUMBERS[4]
    with sync_playwright() as playwright:
        browser, context, page = offline_phone(playwright, world)
        go_offline(world, context)
        page.reload()
        page.wait_for_selector("button.household-row")
        page.click(f"button.household-row[data-number='{number}']")
        page.wait_for_selector("#offline-visit-form")
        page.click("#all-unchanged")
        page.click("input[name=method][value=phone]")
        page.click("input[name=ack_status][value=confirmed]")
        page.fill("textarea[name=note]", "户主电话 138 1234 5678，下月再联系")
        page.click("#save")
        wait_for_text(page, "#error-note", "不能写手机号码")
        assert "删去号码" in page.inner_text("#error-note")
        assert phone_store(page)["queue"] == []
        page.fill("textarea[name=note]", "户主下月再联系")
        page.click("#save")
        page.wait_for_selector("#saved-note")
        assert len(phone_store(page)["queue"]) == 1
        come_back(world, context)
        browser.close()


# Every text the status line shows, kept in sessionStorage: the page moves on to /offline when it is done.
PROGRESS_SEEN = """() => {
  sessionStorage.setItem("seen", "[]");
  const status = document.getElementById("offline-status");
  new MutationObserver(() => {
    const seen = JSON.parse(sessionStorage.getItem("seen"));
    seen.push(status.textContent);
    sessionStorage.setItem("seen", JSON.stringify(seen));
  }).observe(status, { childList: true, characterData: true, subtree: true });
}"""

# The bundle read in three pieces by the browser's own stream reader, its size given as the station gives it.
STREAMED = """async ([pieces, header]) => {
  const encoder = new TextEncoder(), heard = [];
  const body = new ReadableStream({ start(c) { pieces.forEach((p) => c.enqueue(encoder.encode(p))); c.close(); } });
  const headers = header ? { "X-Bundle-Length": String(header) } : {};
  const text = await window.FieldsyncStore.readWithProgress(new Response(body, { headers }),
    (received, total) => heard.push(window.FieldsyncStore.progressText(received, total)));
  return { text, heard };
}"""


def percent_of(text: str) -> int:
    return int(re.search(r"已完成 (\d+)%", text).group(1))


def test_the_offline_package_download_shows_its_progress_in_chinese(world):
    """离线使用 at the station: the status line counts the package's download in per cent (against the size
    before gzip the station sends), then says what it does next; each piece of the download moves it on."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.browser import FLAGS, chromium_path
    from tests.e2e.offline_world import sign_in

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS)
        context = browser.new_context(viewport={"width": 360, "height": 640}, has_touch=True, is_mobile=True,
                                      locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, world)
        page.evaluate(PROGRESS_SEEN)
        page.click("#offline-start")
        page.wait_for_url("**/offline")
        page.wait_for_selector("button.household-row")
        seen = json.loads(page.evaluate("() => sessionStorage.getItem('seen')"))
        downloading = [text for text in seen if "正在下载离线数据包" in text]
        assert downloading and percent_of(downloading[-1]) == 100, seen
        assert [percent_of(t) for t in downloading] == sorted(percent_of(t) for t in downloading)
        assert "离线数据包已下载（100%）" in " ".join(seen) and "正在打开" in seen[-1]

        pieces = ['{"households": [', '{"number": "H1"}, ', '{"number": "H2"}]}']
        streamed = page.evaluate(STREAMED, [pieces, len("".join(pieces).encode())])
        assert streamed["text"] == "".join(pieces)
        total, received, expected = len("".join(pieces).encode()), 0, [0]
        for piece in pieces:
            received += len(piece.encode())
            expected.append(received * 100 // total)
        assert [percent_of(text) for text in streamed["heard"]] == [*expected, 100]  # 0, 30, 65, 100, done
        assert streamed["heard"][1] == f"正在下载离线数据包：已完成 {expected[1]}%（1 KB / 1 KB）"
        unknown = page.evaluate(STREAMED, [pieces, 0])
        assert unknown["heard"][-1] == "正在下载离线数据包：已下载 1 KB"
        browser.close()
