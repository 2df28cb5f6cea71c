"""`fieldsync-hub add-county`, `add-city`, `enroll-up` and `push-up`: county hubs reporting up to a city hub, city
hubs up to a region hub (docs/upward.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hub.cli.context import CLI_PRINCIPAL, run_in_app
from hub.sync import nodes
from hub.upward import client, county, push
from shared import keys
from shared.errors import ErrorCode, FieldsyncError

KIND_NAMES = {"station_keys": "站点密钥声明", "station_record": "站点记录", "county_month": "月度汇总",
              "county_persons": "人员（密钥散列）", "station_kept": "留县站点记录（仅指纹）",
              "county_transferred": "转移就业人员（密钥散列）", "county_withdrawn": "撤回人员",
              "county_keys": "县级密钥声明", "county_record": "县级记录"}
LEVEL_NAMES = {"county": "县级", "city": "市级", "region": "区级"}
ABOVE = {"county": "city", "city": "region"}  # the level each level reports to


CITY_MESSAGES = {  # the county's words, one level up
    ErrorCode.NOT_ENROLLED_UP: "本市级平台还没有在区级平台登记：请向区级平台要一次性登记码，"
                               "再运行 fieldsync-hub enroll-up --city 地址 --code 登记码。",
    ErrorCode.CITY_UNREACHABLE: "连接不上区级平台，上报内容已保存在本市，"
                                "有网络后再运行 fieldsync-hub push-up 即可续传。",
}


def _require_level(app: Any, *levels: str) -> None:
    if app.config["HUB_LEVEL"] not in levels:
        wanted = "或".join(LEVEL_NAMES[level] for level in levels)
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"这条命令只在{wanted}平台上使用；本平台是"
                             f"{LEVEL_NAMES[app.config['HUB_LEVEL']]}平台（FIELDSYNC_HUB_LEVEL）。")


def _above(app: Any) -> str:
    """The name of the level this hub reports to: 市级 for a county hub, 区级 for a city hub."""
    return LEVEL_NAMES[ABOVE[app.config["HUB_LEVEL"]]]


@click.command("add-county")
@click.argument("name")
@run_in_app()
def add_county(app: Any, name: str) -> None:
    """At a city or region hub: register a county hub and print its one-time enrolment code."""
    _require_level(app, "city", "region")
    node, code = nodes.register(name, [], app.config["ENROLMENT_CODE_HOURS"], actor=CLI_PRINCIPAL.actor,
                                level="county")
    click.echo(f"已添加下级平台“{name}”（编号 {node.id}）。")
    click.echo(f"一次性登记码：{code}（{app.config['ENROLMENT_CODE_HOURS']} 小时内有效，只能用一次）")
    click.echo(f"在县级平台上运行：fieldsync-hub enroll-up --city {app.config['PUBLIC_URL']} --code {code}")


@click.command("add-city")
@click.argument("name")
@run_in_app()
def add_city(app: Any, name: str) -> None:
    """At a region hub: register a city hub and print its one-time enrolment code (the city then runs
    enroll-up)."""
    _require_level(app, "region")
    node, code = nodes.register(name, [], app.config["ENROLMENT_CODE_HOURS"], actor=CLI_PRINCIPAL.actor,
                                level="city")
    click.echo(f"已添加下级平台“{name}”（编号 {node.id}）。")
    click.echo(f"一次性登记码：{code}（{app.config['ENROLMENT_CODE_HOURS']} 小时内有效，只能用一次）")
    click.echo(f"在市级平台上运行：fieldsync-hub enroll-up --city {app.config['PUBLIC_URL']} --code {code}")


@click.command("enroll-up")
@click.option("--city", "city_url", required=True, help="The address of the hub above: the city hub's at a county "
              "hub, the region hub's at a city hub.")
@click.option("--code", required=True, help="The one-time code the hub above printed (add-county, add-city).")
@run_in_app()
def enroll_up(app: Any, city_url: str, code: str) -> None:
    """At a county hub (or a city hub): enrol its upward key with the one-time code of the hub above."""
    _require_level(app, "county", "city")
    key = county.upward_key(Path(app.config["DATA_DIR"]))
    reply = client.enroll(city_url, code, key, push.TIMEOUT_SECONDS)
    county.save_link(city_url, reply["node_id"], keys.public_bytes(key), actor=CLI_PRINCIPAL.actor)
    click.echo(f"已在{_above(app)}平台登记为“{reply.get('name', '')}”（编号 {reply['node_id']}）。"
               "之后运行 fieldsync-hub push-up 上报。")


@click.command("push-up")
@click.option("--month", "months", multiple=True, help="A month to report (YYYY-MM); repeat. Default: the months "
              "with visits among the current one and the two before.")
@run_in_app()
def push_up(app: Any, months: tuple[str, ...]) -> None:
    """At a county hub (or a city hub): stage what is new and send the hub above what it lacks (resumable;
    nothing sent twice).  A city hub forwards its counties' records as they signed them; --month is ignored."""
    _require_level(app, "county", "city")
    try:
        staged, done = push.push_up(app.config, list(months))
    except FieldsyncError as error:
        if app.config["HUB_LEVEL"] == "city" and error.code in CITY_MESSAGES:
            raise FieldsyncError(error.code, CITY_MESSAGES[error.code], error.details) from error
        raise
    added = "，".join(f"{KIND_NAMES[kind]} {count} 条" for kind, count in staged.added.items()) or "无新内容"
    click.echo(f"本次新增待上报：{added}。")
    if staged.kept_in_plain:
        click.echo(f"  旧格式（含明文身份证号）的站点记录 {staged.kept_in_plain} 条只留在本县，不上报。")
    click.echo(f"上报完成：新入库 {done.sent} 条，已有 {done.duplicates} 条，拒收 {len(done.rejected)} 条，"
               f"重发 {done.resent} 条（{done.batches} 批，{done.bytes_sent} 字节）。")
    for item in done.rejected:
        click.echo(f"  序号 {item['seq']} 被拒收：{item['message']}（{item['code']}）")
    if done.rejected:
        raise SystemExit(2)
