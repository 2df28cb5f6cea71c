"""What `deploy/` ships is checked as far as this machine allows: the station set-up script (and `make system-deps`'s
script) passes shellcheck, and it installs into a scratch root; the systemd units and the nginx site name what
exists."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "station" / "setup-pi.sh"


@pytest.mark.parametrize("script", [SCRIPT, ROOT / "devtools" / "system_deps.sh"], ids=lambda path: path.name)
def test_the_shell_scripts_pass_shellcheck(script):
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is not installed: run `make system-deps`"
    done = subprocess.run([shellcheck, str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_the_station_script_installs_into_a_scratch_root(tmp_path):
    done = subprocess.run(["bash", str(SCRIPT), "--data", "/srv/station-data"], capture_output=True, text=True,
                          env={**os.environ, "FIELDSYNC_ROOT": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "opt/fieldsync/field_node/web/templates/coverage.html").exists()
    assert oct((tmp_path / "srv/station-data").stat().st_mode & 0o777) == "0o700"
    unit = (tmp_path / "etc/systemd/system/fieldsync-node-web.service").read_text()
    assert "FIELDSYNC_NODE_DATA_DIR=/srv/station-data" in unit and "fieldsync-node serve" in unit
    assert (tmp_path / "etc/systemd/system/fieldsync-node-sync.service").exists()
    tls_unit = (tmp_path / "etc/systemd/system/fieldsync-node-tls.service").read_text()
    assert "fieldsync-node serve-tls" in tls_unit and "FIELDSYNC_NODE_DATA_DIR=/srv/station-data" in tls_unit
    assert "enroll" in done.stdout


def test_units_and_the_nginx_site_run_commands_that_exist():
    from field_node.cli import main as node_main
    from hub.cli import main as hub_main

    for unit in (ROOT / "deploy" / "systemd").glob("*.service"):
        for program, command in re.findall(r"/bin/(fieldsync-(?:hub|node)) ([a-z-]+)", unit.read_text()):
            group = hub_main if program == "fieldsync-hub" else node_main
            assert command in group.list_commands(click.Context(group)), f"{unit.name}: {program} {command}"
    site = (ROOT / "deploy" / "nginx" / "fieldsync-hub.conf").read_text()
    assert "proxy_pass http://127.0.0.1:8000" in site and "location = /metrics" in site
