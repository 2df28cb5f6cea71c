"""Real hub and node processes on loopback, for the benchmarks and the end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.request import urlopen

from devtools import synthetic

BIN = Path(sys.executable).parent
CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, log_path: Path | None, timeout: float = 30) -> None:
    """Poll ``url`` until it answers; fail (with the end of the process's log, where it has one) if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited: {log_path.read_text(errors='replace')[-2000:] if log_path else ''}")
        try:
            with urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def stop_group(process: subprocess.Popen | None, sig: int = signal.SIGKILL) -> None:
    """Signal a process group started with start_new_session and wait for its leader."""
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    process.wait(timeout=30)


def run(*args: str, env: dict[str, str] | None = None, check: bool = True, timeout: float = 120
        ) -> subprocess.CompletedProcess:
    done = subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@dataclass
class Hub:
    """A hub's data folder and, when started, its gunicorn process group."""

    data_dir: Path
    database_url: str = ""
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    env: dict[str, str] = field(default_factory=dict)  # settings (FIELDSYNC_…) for the served hub

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return run("fieldsync-hub", "--data-dir", str(self.data_dir), "--database-url", self.database_url, *args,
                   check=check, env=self.env)

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    def set_up(self, rows: list[dict[str, Any]] | None = None) -> None:
        """`init` for the synthetic county and its twelve townships; given ``rows``, import them as the roster (from
        roster.csv beside the data folder)."""
        self.cli("init", "--county", synthetic.COUNTY,
                 *[a for t in synthetic.RONGAN_TOWNSHIPS for a in ("--township", t)])
        if rows is not None:
            path = self.data_dir.parent / "roster.csv"
            synthetic.write_roster_csv(rows, path)
            self.cli("import-roster", str(path))

    def start(self, workers: int = 2, timeout: float = 30) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "fieldsync-hub"), "--data-dir", str(self.data_dir), "--database-url", self.database_url,
             "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "FIELDSYNC_PUBLIC_URL": self.url, **self.env})
        try:
            wait_for(f"{self.url}/api/v1/openapi.json", self.process, self.log_path, timeout)
        except RuntimeError:
            self.kill()
            raise

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal gunicorn's whole process group (master and workers) and wait for it."""
        stop_group(self.process, sig)
        self.process = None

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def add_node(self, name: str, villages: list[str]) -> str:
        """Register a node and return its one-time enrolment code."""
        labels = [arg for village in villages for arg in ("--village", village)]
        found = CODE.search(self.cli("add-node", name, *labels).stdout)
        assert found is not None, "add-node printed no code"
        return found[0]


@dataclass
class Station:
    """A field node's data folder, driven through `fieldsync-node`."""

    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)

    def cli(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        return run("fieldsync-node", "--data-dir", str(self.data_dir), *args, env=self.env, check=check,
                   timeout=timeout)

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([str(BIN / "fieldsync-node"), "--data-dir", str(self.data_dir), *args],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, **self.env})

    def serve(self, port: int, timeout: float = 30) -> subprocess.Popen:
        """Start the station app (`fieldsync-node serve`) on loopback and wait until it answers."""
        process, log_path = self._serve("serve", port)
        try:
            wait_for(f"http://127.0.0.1:{port}/login", process, log_path, timeout)
        except RuntimeError:
            stop_group(process)
            raise
        return process

    def serve_tls(self, port: int, timeout: float = 30) -> subprocess.Popen:
        """Start `fieldsync-node serve-tls` (its installed certificate) on loopback and wait until it listens."""
        process, log_path = self._serve("serve-tls", port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"serve-tls exited: {log_path.read_text(errors='replace')[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return process
            except OSError:
                time.sleep(0.1)
        stop_group(process)
        raise RuntimeError("serve-tls did not listen")

    def _serve(self, command: str, port: int) -> tuple[subprocess.Popen, Path]:
        log_path = self.data_dir.parent / f"{self.data_dir.name}-web.log"
        process = subprocess.Popen(
            [str(BIN / "fieldsync-node"), "--data-dir", str(self.data_dir), command, "--bind", f"127.0.0.1:{port}"],
            stdout=log_path.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, **self.env})
        return process, log_path
