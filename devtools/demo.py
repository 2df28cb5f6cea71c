"""`make demo`: the whole spine on the embedded default (SQLite), step by step, through the real commands.

A hub is set up for 融安县 with its twelve townships, imports a generated roster (made-up people, valid ID
numbers), and serves under gunicorn.  A village station is registered and enrolled, pulls its roster,
records a month of visits while it has no network, then syncs.  Each step prints the command it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from devtools import synthetic
from devtools.processes import wait_for
from devtools.station import hub_person_keys, station_body

BIN = Path(sys.executable).parent
MONTH = "2026-10"


DEMO_PASSWORD = "demo-admin-pass"


def free_port(preferred: int = 8000) -> int:
    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free port")


def step(number: int, text: str) -> None:
    print(f"\n==> 第 {number} 步：{text}", flush=True)


def run(*args: str, check: bool = True) -> str:
    print("    $ " + " ".join(args), flush=True)
    done = subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True)
    output = (done.stdout + done.stderr).strip()
    if output:
        print("\n".join("      " + line for line in output.splitlines()), flush=True)
    if check and done.returncode != 0:
        sys.exit(f"demo stopped: {args[0]} exited with {done.returncode}")
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="demo-data", help="folder for the demo's hub and node (wiped first)")
    parser.add_argument("--households", type=int, default=12, help="households per village")
    parser.add_argument("--keep-serving", action="store_true",
                        help="leave the hub running at the end until Ctrl-C (default when run in a terminal)")
    options = parser.parse_args()
    data = Path(options.data).resolve()
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    hub_dir, node_dir = data / "hub", data / "node"
    hub = ["fieldsync-hub", "--data-dir", str(hub_dir)]
    node = ["fieldsync-node", "--data-dir", str(node_dir)]

    step(1, f"初始化县级平台（SQLite，数据在 {hub_dir}），建立{synthetic.COUNTY}和 12 个乡镇")
    townships = [arg for name in synthetic.RONGAN_TOWNSHIPS for arg in ("--township", name)]
    run(*hub, "init", "--county", synthetic.COUNTY, *townships)

    step(2, "生成并导入花名册（虚构的人名，身份证号码格式有效）")
    villages = synthetic.default_villages(2)
    rows = synthetic.generate_roster(2026, villages, options.households)
    roster_csv = data / "花名册.csv"
    synthetic.write_roster_csv(rows, roster_csv)
    run(*hub, "import-roster", str(roster_csv))
    run(*hub, "add-user", "demo", "--name", "演示管理员", "--role", "admin", "--password", DEMO_PASSWORD)

    step(3, "启动县级平台（gunicorn）")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    print(f"    $ fieldsync-hub --data-dir {hub_dir} serve --bind 127.0.0.1:{port}", flush=True)
    server = subprocess.Popen([str(BIN / "fieldsync-hub"), "--data-dir", str(hub_dir), "serve",
                               "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "FIELDSYNC_PUBLIC_URL": url})
    try:
        wait_for(f"{url}/api/v1/openapi.json", server, None, timeout=20)
        print(f"      平台已在 {url} 运行", flush=True)
        demo_station(hub, node, url, rows, villages[:2], data)
        step(10, "完成")
        print(f"    县级平台：{url}/  （用户名 demo，密码 {DEMO_PASSWORD}）")
        run(*node, "add-user", "wang", "--name", "王网格", "--password", DEMO_PASSWORD)
        print(f"    站点应用：fieldsync-node --data-dir {node_dir} serve --bind 127.0.0.1:8080")
        print(f"              手机或浏览器打开 http://127.0.0.1:8080/ ，用户名 wang，密码 {DEMO_PASSWORD}")
        print(f"    站点数据：{node_dir}    平台数据：{hub_dir}")
        if options.keep_serving or sys.stdin.isatty():
            print("    平台继续运行，按 Ctrl-C 停止。", flush=True)
            server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.terminate()
        server.wait(timeout=30)


def demo_station(hub: list[str], node: list[str], url: str, rows: list[dict], villages: list[tuple[str, str]],
                 data: Path) -> None:
    step(4, "为村级服务站登记站点，得到一次性登记码和二维码")
    labels = [arg for township, village in villages for arg in ("--village", f"{township}/{village}")]
    output = run(*hub, "add-node", f"{villages[0][0]}服务站", *labels)
    found = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", output)
    assert found is not None, "add-node printed no code"
    code = found[0]

    step(5, "站点用登记码登记（生成自己的密钥，私钥不离开站点），并下载花名册")
    run(*node, "enroll", "--hub", url, "--code", code)
    run(*node, "sync")

    step(6, f"离线录入 {MONTH} 月的入户走访（每条保存时即签名）")
    served = {f"{township}/{village}" for township, village in villages}
    households: dict[str, list[dict]] = {}
    for row in rows:
        if f"{row['township']}/{row['village']}" in served:
            households.setdefault(row["household_id"], []).append(row)
    rnd = random.Random(10)
    person_key = hub_person_keys(Path(hub[hub.index("--data-dir") + 1]))  # labourers by the hub's person key
    visits = [station_body(synthetic.visit_body(rnd, members, MONTH, f"网格员{rnd.randint(1, 3)}"), person_key)
              for members in households.values()]
    visits_file = data / "visits.json"
    visits_file.write_text(json.dumps(visits, ensure_ascii=False, indent=1), encoding="utf-8")
    run(*node, "add", str(visits_file))

    step(7, "同步前的站点状态")
    run(*node, "status")

    step(8, "有网络了：同步（推送县里没有的记录，拉取花名册变化）")
    run(*node, "sync")

    step(9, "县级平台收到了什么")
    run(*hub, "nodes")
    run(*node, "status")


if __name__ == "__main__":
    main()
