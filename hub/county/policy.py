"""The policy documents the rules and settings rest on (DOMAIN.md, ../shared/seeds/), by their names.

The catalogue cites a source the short way ("000 §24 §30; 001 §26 §33", "002 employment §二(一)1(1)"); a page
shows it by the document's name and its item: 《柳州市促进脱贫人口持续增收三年行动方案（2022—2024年）》第24、30项.
"""

from __future__ import annotations

import re

DOCUMENTS = {
    "000": "《柳州市促进脱贫人口持续增收三年行动方案（2022—2024年）》",
    "001": "《广西促进脱贫人口持续增收三年行动方案（2022—2024年）》",
    "002": "《融安县2024年开展巩固拓展脱贫攻坚成果防贫帮扶提升行动实施方案》",
    "002 employment": "《融安县2024年开展巩固拓展脱贫攻坚成果就业帮扶提升行动实施方案》",
    "003": "《大祥区脱贫人口持续增收三年行动方案（2023-2025年）》",
    "004": "《关于开展十项增收帮扶行动的实施方案（2023—2025年）》",
    "DOMAIN.md": "数据质量核查通用规则",
    "GB 11643-1999": "国家标准《公民身份号码》（GB 11643-1999）",
}
_PART = re.compile(r"^[一二三四五六七八九十]+$")
_CITATION = re.compile(r"^(?P<doc>\d{3}(?: employment)?|DOMAIN\.md|GB 11643-1999)\s*(?P<items>.*)$")


def _items(text: str) -> str:
    """"§24 §30" -> "第24、30项"; "§二(一)3" -> "二(一)3"; "§6" of DOMAIN.md -> "" (the rule list itself)."""
    parts = [part.lstrip("§").replace("&", "").strip() for part in text.split("§") if part.strip(" &")]
    parts = [part for part in parts if part]
    if not parts:
        return ""
    if all(part.isdigit() for part in parts):
        return f"第{'、'.join(parts)}项"
    return "、".join(f"第{part}部分" if _PART.match(part) else part for part in parts)


def source_name(citation: str) -> str:
    """A short citation, or several separated by "；", by the documents' names."""
    named = []
    for one in citation.split(";"):
        found = _CITATION.match(one.strip())
        if found is None:
            named.append(one.strip())
            continue
        doc = found["doc"]
        items = "" if doc == "DOMAIN.md" else _items(found["items"])
        named.append(f"{DOCUMENTS[doc]}{items}")
    return "；".join(named)
