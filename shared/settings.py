"""Settings declared once: name, default, meaning.  Each application lists its own in one module.

A setting is read from the environment variable ``FIELDSYNC_<NAME>`` (or ``FIELDSYNC_NODE_<NAME>`` for the
node), falling back to its default.  docs/settings.md documents every one, and a test keeps it so.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    cast: Callable[[str], Any] = str


def env_name(prefix: str, setting: Setting) -> str:
    return f"{prefix}{setting.name}"


def load(settings: list[Setting], prefix: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Resolve every setting from the environment or its default."""
    environ = os.environ if environ is None else environ
    values = {}
    for setting in settings:
        raw = environ.get(env_name(prefix, setting))
        values[setting.name] = setting.default if raw in (None, "") else setting.cast(raw)
    return values


def secure_cookies(raw: str) -> str:
    """The Secure cookie flag setting: ``auto``, ``on`` or ``off`` (1/true/yes and 0/false/no accepted)."""
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return "on"
    if value in ("0", "false", "no", "off"):
        return "off"
    if value == "auto":
        return "auto"
    raise ValueError(f"SECURE_COOKIES must be auto, 1 or 0, not {raw!r}")


HUB_LEVELS = ("county", "city", "region")


def hub_level(raw: str) -> str:
    """The HUB_LEVEL setting: county, city or region."""
    value = raw.strip().lower()
    if value not in HUB_LEVELS:
        raise ValueError(f"HUB_LEVEL must be one of {', '.join(HUB_LEVELS)}, not {raw!r}")
    return value
