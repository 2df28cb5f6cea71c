"""Debian's headless Chromium for the browser tests and the benches (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
from typing import Any

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    found = os.environ.get("FIELDSYNC_CHROMIUM") or shutil.which("chromium")
    if not found:
        raise RuntimeError("Chromium is not installed: run `make browser` (apt-get install chromium) first.")
    return found


def draw_signature(page: Any, selector: str = "#signature-pad") -> None:
    """A signature drawn on the pad as a finger would: one stroke across it."""
    pad = page.locator(selector)
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    mouse = page.mouse
    mouse.move(box["x"] + 20, box["y"] + 40)
    mouse.down()
    for step in range(1, 12):
        mouse.move(box["x"] + 20 + step * 20, box["y"] + 40 + (step % 3) * 25)
    mouse.up()
