"""Stable error codes shared by the hub, the node and the sync protocol.

Every error a person can meet — an HTTP error reply, a per-record rejection inside a push reply, a CLI
failure — carries one of these codes.  Codes are part of the protocol: never rename or reuse one; add new
ones at the end of their group.  The message is in Chinese (the people reading it are grid members and
county clerks) and says what to do; ``details`` carries machine-readable context and never personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, unique
from typing import Any


@unique
class ErrorCode(Enum):
    """A stable error code: its HTTP status and the default message shown to a person."""

    # Request-level errors (1xx of the docs table).
    BAD_REQUEST = (400, "请求格式不正确，请升级站点软件或联系县级管理员。")
    INVALID_FIELDS = (400, "提交的内容有字段不符合要求，请按提示修改后重新提交。")
    BAD_BATCH = (400, "同步数据包无法读取（可能在传输中损坏），请重新同步。")
    PAYLOAD_TOO_LARGE = (413, "一次提交的数据太多，请减少每批记录数后重新同步。")
    NOT_FOUND = (404, "没有这个地址，请检查网址是否正确。")
    METHOD_NOT_ALLOWED = (405, "该地址不支持这种请求方式。")
    UNSUPPORTED_VERSION = (426, "站点软件版本过旧，请先升级站点软件再同步。")
    INTERNAL = (500, "服务器内部出错，数据未受影响；请稍后重试，如持续出现请联系县级管理员。")
    SCHEMA_OUTDATED = (503, "数据库结构版本过旧，请先运行 fieldsync-hub migrate。")
    TOO_MANY_REQUESTS = (429, "提交太频繁，请过几分钟再试。")

    # Authentication and enrolment.
    UNAUTHENTICATED = (401, "请求没有有效的站点签名，请重新登记站点（fieldsync-node enroll）。")
    UNKNOWN_NODE = (401, "县级平台不认识这个站点，请联系县级管理员重新登记。")
    NODE_REVOKED = (403, "该站点已被县级平台停用，不能再同步。如设备丢失后找回，请联系县级管理员重新登记。")
    REPLAYED_REQUEST = (409, "这个请求已经处理过（可能是重放），请重新同步。")
    ENROLMENT_CODE_INVALID = (403, "登记码无效、已使用或已过期，请向县级管理员申请新的登记码。")
    ALREADY_ENROLLED = (409, "本站点已经登记过，不能再次登记；如需重新登记，请换一个新的数据目录（旧数据请先备份）。")
    FORBIDDEN = (403, "您的角色没有这项权限；如需办理，请联系县级管理员。")
    NODE_QUARANTINED = (403, "站点疑似被复制（同一密钥写出了不同的记录），已被隔离，不能同步；请联系县级管理员核查。")

    # Per-record rejection reasons inside a push reply.
    BAD_SIGNATURE = (422, "记录签名与内容不符（记录可能被篡改），已拒收。")
    WRONG_NODE = (422, "记录不属于发送它的站点，已拒收。")
    SEQUENCE_CONFLICT = (409, "同一序号已收到内容不同的另一条记录（疑似复制的存储卡或重装的站点），已拒收并报警。")
    CHAIN_BROKEN = (409, "记录与本站点前一条记录衔接不上（疑似复制的存储卡），已拒收并报警。")
    RECORD_INVALID = (422, "记录内容不符合要求，已拒收；请更正后重新录入。")
    HOUSEHOLD_NOT_ASSIGNED = (422, "该户不属于本站点负责的村，已拒收；请核对户编号。")
    UNKNOWN_KIND = (422, "不认识的记录类型，请升级站点软件。")

    # Roster import and local (node) errors.
    ROSTER_UNREADABLE = (400, "花名册文件无法读取：请另存为 CSV 或 XLSX 后重新导入。")
    ROSTER_ROW_INVALID = (422, "花名册有一行无法导入，请按提示修改该行。")
    HUB_UNREACHABLE = (503, "连接不上县级平台，数据已安全保存在本站，有网络后会自动同步。")
    NOT_ENROLLED = (409, "本站点还没有登记，请先运行 fieldsync-node enroll。")
    NOT_FOUND_LOCAL = (404, "没有找到要找的对象，请检查名称。")

    # Scope of a station's signed records (issue 12): appended, like every new code.
    POSTING_OUTSIDE_SCOPE = (422, "岗位的乡镇或村不在本站点负责的范围内，已拒收；站点只能向本乡镇、本村发布岗位。")
    PERSON_NOT_ASSIGNED = (422, "被推荐的人员不是所填户的成员（或不在本站点负责的村），已拒收；请核对户编号和人员。")
    # Sync bounds and per-record failures (issue 11).
    SEQ_OUT_OF_RANGE = (400, "同步数据包中的序号或最新序号超出允许范围（1 至 9007199254740991），已拒收；"
                             "请升级站点软件，如仍出现请联系县级管理员。")
    RECORD_UNPROCESSABLE = (422, "县级平台无法入库这条记录，已将其作为拒收记录保存并通知县级管理员；"
                                 "本站其余记录照常同步，请联系县级管理员处理这一条。")
    # Table imports other than the roster (postings, other departments' lists), and the limits of every import.
    TABLE_UNREADABLE = (400, "文件无法读取：请用表格软件另存为 CSV 或 XLSX 后重新导入。")
    TABLE_TOO_LARGE = (413, "文件超过导入上限（行数、每格字数或解压后大小），没有导入：请拆成几个较小的文件分别导入。")
    # Errors that each say what happened (issue 13): before, the first two were a traceback and HUB_UNREACHABLE,
    # the third ALREADY_ENROLLED.
    DATABASE_URL_UNSUPPORTED = (500, "不支持这个数据库地址：FIELDSYNC_DATABASE_URL（--database-url）请留空"
                                     "（使用数据目录中的 SQLite），或写成 postgresql://用户@主机:端口/数据库名。")
    SYNC_BUSY = (409, "另一次同步正在进行（可能是自动同步），数据已安全保存在本站；请等它完成后再试。")
    NODE_NAME_TAKEN = (409, "已有同名的站点，没有添加：请换一个名称（例如加上村名）；"
                            "fieldsync-hub nodes 列出已有的站点。")
    CLEANING_BUSY = (409, "另一次清洗正在进行（可能是定时清洗），这次没有开始：请等它结束后再运行。")
    # A page form without its CSRF token (issue 15): before, BAD_REQUEST's words about upgrading the station.
    FORM_EXPIRED = (400, "表单已过期或不是从本平台的页面提交的，没有保存：请刷新页面后重新填写提交。")
    # Station certificates (issue 14): a CSR the hub refuses at sync, an ACME order that did not succeed.
    CSR_INVALID = (422, "站点发来的证书请求不合格（域名或密钥不对），没有受理；站点下次同步时会重新生成。")
    CERTIFICATE_FAILED = (502, "向证书机构申请站点证书没有成功，已记下原因；"
                               "下次运行 fieldsync-hub certificates 时会重试。")
    OFFLINE_SESSION_INVALID = (401, "手机上的离线使用已过期或已退出：走访记录仍保存在手机上，"
                                    "请到站点连上 Wi-Fi 登录，再点“离线使用”，记录会自动上传。")
    # Reporting upward (issue 17, docs/upward.md).
    STATION_RECORD_FORGED = (422, "县级平台转发的站点记录与站点的签名或密钥对不上（记录被改动或伪造），已拒收并报警。")
    WRONG_SIGNER_LEVEL = (422, "这类记录不能由这一级发送（站点只发走访等记录，县级平台只发上报记录），已拒收。")
    NOT_ENROLLED_UP = (409, "本县级平台还没有在市级平台登记：请向市级平台要一次性登记码，"
                            "再运行 fieldsync-hub enroll-up --city 地址 --code 登记码。")
    CITY_UNREACHABLE = (503, "连接不上市级平台，上报内容已保存在本县，有网络后再运行 fieldsync-hub push-up 即可续传。")
    COUNTY_FIGURES_DISAGREE = (422, "县级平台上报的汇总数与其转发的站点记录重新计算的结果不符，已报警，请该县核实。")
    # The region level (issue 17): a city hub forwarding its counties' records.
    COUNTY_RECORD_FORGED = (422, "市级平台转发的县级记录与该县的签名或密钥对不上（记录被改动或伪造），已拒收并报警。")
    # Redacting old audit entries (fieldsync-hub audit redact).
    AUDIT_CHAIN_BROKEN = (409, "审计日志的哈希链校验不通过，没有做任何遮盖（遮盖会重算哈希，掩盖被改动的记录）："
                               "请先运行 fieldsync-hub audit verify 查明问题，并联系县级管理员。")

    @property
    def http_status(self) -> int:
        return self.value[0]

    @property
    def default_message(self) -> str:
        return self.value[1]


class FieldsyncError(Exception):
    """The one exception type of the project: a code, a message a person can act on, and details."""

    def __init__(self, code: ErrorCode, message: str | None = None, details: dict[str, Any] | None = None):
        self.code = code
        self.message = message or code.default_message
        self.details = details or {}
        super().__init__(f"{code.name}: {self.message}")

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code.name, "message": self.message, "details": self.details}


def joined_messages(messages: Any) -> str:
    """One field's messages (a list, as marshmallow gives them, or one message) as one line, joined by "；"."""
    return "；".join(map(str, messages)) if isinstance(messages, list) else str(messages)


def field_messages(errors: Mapping[str, Any]) -> dict[str, str]:
    """Field -> its messages as one line: what a form shows next to each field."""
    return {name: joined_messages(messages) for name, messages in errors.items()}
