"""Debian's BIND (``named``, package bind9) as an unprivileged process on a free loopback port: the primary of a
test zone that accepts RFC 2136 dynamic updates signed with one TSIG key — what a county's own name server does for
the hub's DNS-01 records (docs/certificates.md).  `make system-deps` installs bind9.

named runs in the foreground as the calling user (no ``-u``, no port below 1024, no system paths): its config,
zone, journal and key live in the folder it is given, and it is stopped with its process group.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from devtools.processes import free_port, stop_group

ZONE_FILE = """$TTL 60
@   IN SOA ns1.{zone}. hostmaster.{zone}. 1 60 60 3600 60
@   IN NS  ns1.{zone}.
ns1 IN A   127.0.0.1
"""

CONFIG = """options {{
    directory "{folder}";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    pid-file none;
    session-keyfile none;
    managed-keys-directory "{folder}";
    recursion no;
    dnssec-validation no;
    notify no;
    allow-transfer {{ none; }};
}};
controls {{ }};
include "{key_file}";
zone "{zone}" {{
    type primary;
    file "{zone}.zone";
    update-policy {{ grant {key_name} subdomain {records_under}. TXT; }};
}};
"""


SBIN = "/usr/sbin:/sbin"  # named and tsig-keygen live there, outside a Debian user's PATH


def tool(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=SBIN)


def available() -> bool:
    return tool("named") is not None and tool("tsig-keygen") is not None


def tsig_key(path: Path, name: str) -> Path:
    """A new TSIG key in BIND's format (tsig-keygen), 0600 at ``path``."""
    text = subprocess.run([tool("tsig-keygen") or "tsig-keygen", "-a", "hmac-sha256", name], capture_output=True,
                          text=True, check=True).stdout
    path.write_text(text)
    path.chmod(0o600)
    return path


@dataclass
class Bind:
    """A primary for ``zone`` letting ``key_name`` set TXT records under ``records_under`` and nothing else."""

    folder: Path
    zone: str
    records_under: str
    key_name: str = "fieldsync-hub"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def key_file(self) -> Path:
        return self.folder / "tsig.key"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tsig_key(self.key_file, self.key_name)
        (self.folder / f"{self.zone}.zone").write_text(ZONE_FILE.format(zone=self.zone))
        config = self.folder / "named.conf"
        config.write_text(CONFIG.format(folder=self.folder, port=self.port, key_file=self.key_file, zone=self.zone,
                                        key_name=self.key_name, records_under=self.records_under))
        log = (self.folder / "named.log").open("ab")
        self.process = subprocess.Popen([tool("named") or "named", "-g", "-4", "-n", "1", "-c", str(config)],
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait()

    def _wait(self, timeout: float = 20) -> None:
        import dns.exception
        import dns.message
        import dns.query

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError("named exited:\n" + (self.folder / "named.log").read_text(errors="replace"))
            try:
                dns.query.tcp(dns.message.make_query(self.zone, "SOA"), "127.0.0.1", timeout=1, port=self.port)
                return
            except (OSError, dns.exception.DNSException):
                time.sleep(0.1)
        raise RuntimeError(f"named did not answer on {self.address}")

    def txt(self, name: str) -> list[str]:
        """The TXT values the server holds for ``name`` now (an authoritative answer, over TCP)."""
        import dns.message
        import dns.query
        import dns.rdatatype

        reply = dns.query.tcp(dns.message.make_query(name, "TXT"), "127.0.0.1", timeout=5, port=self.port)
        return [b"".join(rdata.strings).decode() for rrset in reply.answer if rrset.rdtype == dns.rdatatype.TXT
                for rdata in rrset]

    def stop(self) -> None:
        stop_group(self.process)
        self.process = None
