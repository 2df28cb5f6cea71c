"""No inline script anywhere: the Content-Security-Policy of hub and station blocks inline handlers, so one
silently does nothing (the /cleaning/ township dropdown did).  Behaviour lives in static JS files."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_FOLDERS = [ROOT / "hub" / "web" / "templates", ROOT / "shared" / "templates",
                    ROOT / "field_node" / "web" / "templates"]
INLINE_HANDLER = re.compile(r"<[^>]*\son\w+\s*=", re.IGNORECASE | re.DOTALL)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)


def templates() -> list[Path]:
    found = [path for folder in TEMPLATE_FOLDERS for path in folder.rglob("*.html")]
    assert len(found) > 10  # the folders moved: this test must not pass on nothing
    return found


def test_no_template_has_an_inline_event_handler_a_javascript_url_or_an_inline_script():
    offenders = []
    for path in templates():
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_HANDLER, JAVASCRIPT_URL, INLINE_SCRIPT):
            offenders += [f"{path.relative_to(ROOT)}: {match[0][:60]!r}" for match in pattern.finditer(text)]
    assert not offenders, "\n".join(offenders)


def test_the_hub_serves_its_script_and_the_policy_allows_only_own_scripts(client):
    page = client.get("/")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src" not in policy  # scripts: own files only
    script = client.get("/static/hub.js")
    assert script.status_code == 200 and "data-autosubmit" in script.get_data(as_text=True)
    assert '<script src="/static/hub.js"' in page.get_data(as_text=True)
