"""`make system-deps` (devtools/system_deps.sh): silent when everything is there, says what it installs and why
before it calls sudo, and never calls sudo as root.

apt-get, sudo and id cannot run for real in a test (they would install packages on this machine), so the script runs
with a PATH of small stand-ins that log how they were called; the tools the script looks for are present or absent
as each case needs (its shellcheck run is in test_deploy_files.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "devtools" / "system_deps.sh"
TOOLS = ("chromium", "faketime", "shellcheck", "soffice", "pebble-challtestsrv", "named", "certutil", "pdftoppm")
INSTALL = "apt-get install -y --no-install-recommends"


def stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def run(tmp_path: Path, *, uid: int = 1000, missing: tuple[str, ...] = (), font: bool = True, sudo: bool = True,
        update_needed: bool = False) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the script where ``missing`` tools are absent; return its result and the calls apt-get and sudo saw."""
    folder, log = tmp_path / "bin", tmp_path / "calls.log"
    folder.mkdir()
    (folder / "grep").symlink_to(shutil.which("grep") or "/bin/grep")
    for tool in set(TOOLS) - set(missing):
        stub(folder, tool, "exit 0")
    stub(folder, "fc-list", "echo 'WenQuanYi Micro Hei'" if font else "exit 0")
    stub(folder, "id", f"echo {uid}")
    if sudo:
        stub(folder, "sudo", f'echo "sudo $*" >> {log}; echo SUDO-RUNS; "$@"')
    stub(folder, "apt-get", f'echo "apt-get $*" >> {log}\n'
                            f'[ "$1" = update ] && : > {tmp_path}/updated\n'
                            f'[ "$1" = update ] || [ -e {tmp_path}/updated ] || [ {int(update_needed)} = 0 ]')
    done = subprocess.run(["/bin/sh", str(SCRIPT)], capture_output=True, text=True,
                          env={"PATH": str(folder), "SBIN": str(folder)})
    return done, log.read_text().splitlines() if log.exists() else []


def test_everything_present_prints_nothing_and_installs_nothing(tmp_path):
    done, calls = run(tmp_path)
    assert (done.returncode, done.stdout, done.stderr, calls) == (0, "", "", [])


def test_not_root_it_names_the_missing_packages_and_why_before_sudo(tmp_path):
    done, calls = run(tmp_path, missing=("faketime",), font=False)
    assert done.returncode == 0, done.stderr
    assert calls == [f"sudo {INSTALL} fonts-wqy-microhei faketime", f"{INSTALL} fonts-wqy-microhei faketime"]
    said = done.stdout[:done.stdout.index("SUDO-RUNS")]
    assert "fonts-wqy-microhei: a CJK font" in said and "faketime: the fault suite's wrong clocks" in said
    assert "through sudo" in said
    assert "chromium" not in said and "shellcheck" not in said and "libreoffice" not in said


def test_as_root_it_calls_apt_get_without_sudo(tmp_path):
    done, calls = run(tmp_path, uid=0, missing=("soffice",))
    assert done.returncode == 0, done.stderr
    assert calls == [f"{INSTALL} libreoffice-calc-nogui"]
    assert "libreoffice-calc-nogui: LibreOffice headless" in done.stdout and "sudo" not in done.stdout


def test_pebble_is_installed_for_the_certificate_tests(tmp_path):
    done, calls = run(tmp_path, uid=0, missing=("pebble-challtestsrv",))
    assert done.returncode == 0, done.stderr
    assert calls == [f"{INSTALL} pebble"]
    assert "pebble: an ACME test CA and its DNS server" in done.stdout


def test_bind_and_certutil_are_installed_for_the_rfc2136_and_browser_trust_tests(tmp_path):
    done, calls = run(tmp_path, uid=0, missing=("named", "certutil"))
    assert done.returncode == 0, done.stderr
    assert calls == [f"{INSTALL} bind9 libnss3-tools"]
    assert "bind9: BIND, a name server taking RFC 2136 updates" in done.stdout
    assert "libnss3-tools: certutil" in done.stdout


def test_a_stale_package_list_is_updated_once_then_installed(tmp_path):
    done, calls = run(tmp_path, uid=0, missing=("chromium",), update_needed=True)
    assert done.returncode == 0, done.stderr
    assert calls == [f"{INSTALL} chromium", "apt-get update", f"{INSTALL} chromium"]


@pytest.mark.parametrize("missing", [("shellcheck",), TOOLS])
def test_not_root_without_sudo_it_says_what_to_run_and_fails(tmp_path, missing):
    done, calls = run(tmp_path, missing=missing, sudo=False)
    assert done.returncode == 1 and calls == []
    assert f"as root run: {INSTALL} " in done.stderr and "shellcheck" in done.stderr
