"""Which station certificates to order or renew, and which the county must be warned about."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptography import x509

from hub.county.clock import utcnow
from hub.store.models import Node, StationCertificate
from shared.errors import FieldsyncError

if TYPE_CHECKING:  # the ACME client (acme, josepy) loads only where certificates are ordered
    from hub.certificates.issuer import Issuer

log = logging.getLogger("fieldsync.hub.certificates")


def _fraction_passed(row: StationCertificate, now: datetime) -> float:
    if row.not_before is None or row.not_after is None:
        return 1.0
    lifetime = (row.not_after - row.not_before).total_seconds()
    return (now - row.not_before).total_seconds() / lifetime if lifetime > 0 else 1.0


def due(row: StationCertificate, renew_at: float, now: datetime) -> bool:
    """To order: no certificate yet, one for an older CSR (issued_at cleared), or `renew_at` of its lifetime gone."""
    if row.certificate_pem is None or row.issued_at is None:
        return True
    return _fraction_passed(row, now) >= renew_at


def warning(row: StationCertificate, warn_at: float, now: datetime) -> str | None:
    """The warning a station's certificate deserves (expired, or close to it), in the clerk's words, or None."""
    if row.revoked_at is not None:
        return "证书已吊销（站点已停用）"
    if row.certificate_pem is None or row.not_after is None:
        return failure_text(row) if row.last_error else None
    if now >= row.not_after:
        return "证书已过期：手机打开站点会报安全警告，离线使用停止；请检查 fieldsync-hub certificates 的运行"
    if _fraction_passed(row, now) >= warn_at:
        return "证书即将过期，续期没有成功：请检查 fieldsync-hub certificates 的运行"
    return None


def failure_text(row: StationCertificate) -> str:
    """Why the station's last order failed, in the operator's words (no code, no secret)."""
    return row.last_error_text or "证书申请没有成功，会在下次运行 fieldsync-hub certificates 时重试（原因见 " \
        "fieldsync-hub nodes）"


def warnings(warn_at: float, now: datetime | None = None) -> dict[int, str]:
    """Node id -> its certificate's warning, for the stations that have one."""
    now = now or utcnow()
    found = {}
    for row in StationCertificate.select():
        text = warning(row, warn_at, now)
        if text:
            found[row.node_id] = text
    return found


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None, microsecond=0)


@dataclass
class OrderRun:
    """What one run of ``order_due`` did: counts, and each failed station's reason in words."""

    issued: int = 0
    current: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)  # (node id, the Chinese message)

    @property
    def failed(self) -> int:
        return len(self.failures)


def order_due(make_issuer: Callable[[], Issuer], renew_at: float, now: datetime | None = None) -> OrderRun:
    """Order every due certificate (stations not revoked).  A failure is kept per station (``last_error``) and the
    others go on; settings that give no issuer (a missing TSIG key file …) fail each due station alike, so the
    overview says why."""
    now = now or utcnow()
    run = OrderRun()
    rows = (StationCertificate.select(StationCertificate, Node).join(Node).where(Node.revoked_at.is_null()))
    issuer: Issuer | None = None
    for row in rows:
        if not due(row, renew_at, now):
            run.current += 1
            continue
        try:
            issuer = issuer or make_issuer()
            chain = issuer.issue(row.csr_pem)
        except FieldsyncError as error:
            run.failures.append((row.node_id, error.message))
            _record_failure(row, error, now)
            continue
        _record_issued(row, chain, now)
        run.issued += 1
    return run


def _record_failure(row: StationCertificate, error: FieldsyncError, now: datetime) -> None:
    reason = error.details.get("reason", "")
    log.warning("event=certificate_failed node=%s step=%s reason=%s", row.node_id, error.details.get("step"), reason)
    StationCertificate.update(last_error=f"{error.code.name} {reason}".strip(), last_error_text=error.message,
                              last_attempt_at=now).where(StationCertificate.id == row.id).execute()


def _record_issued(row: StationCertificate, chain: str, now: datetime) -> None:
    leaf = x509.load_pem_x509_certificate(chain.encode("ascii"))
    StationCertificate.update(
        certificate_pem=chain, not_before=_naive_utc(leaf.not_valid_before_utc),
        not_after=_naive_utc(leaf.not_valid_after_utc), issued_at=utcnow(), last_error=None, last_error_text=None,
        last_attempt_at=now,
    ).where((StationCertificate.id == row.id) & (StationCertificate.csr_pem == row.csr_pem)).execute()
    log.info("event=certificate_issued node=%s not_after=%s", row.node_id, leaf.not_valid_after_utc.isoformat())


def revoke_for(node: Node, issuer: Issuer) -> bool:
    """Revoke the station's certificate at the CA, once; False when it has none (or it is revoked already)."""
    row = StationCertificate.get_or_none(StationCertificate.node == node)
    if row is None or row.certificate_pem is None or row.revoked_at is not None:
        return False
    issuer.revoke(row.certificate_pem)
    StationCertificate.update(revoked_at=utcnow()).where(StationCertificate.id == row.id).execute()
    log.info("event=certificate_revoked node=%s", node.id)
    return True
