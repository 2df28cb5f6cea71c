"""Search keys for names, so that typing ``zl`` or ``zhangli`` finds 张丽.

Keys are computed when the roster arrives (in the sync process) and stored with each member; the station's
web process only matches text and never loads the pinyin dictionary (about 55 MB of memory on its own).
Characters with several readings (单: dan / shan / chan) give every combination of initials, up to a cap.
"""

from __future__ import annotations

import itertools
import unicodedata

MAX_COMBINATIONS = 16


def _readings(char: str) -> list[str]:
    from pypinyin.pinyin_dict import pinyin_dict  # imported here: only the sync process needs it

    found = pinyin_dict.get(ord(char))
    if not found:
        return [char.lower()]
    return [_toneless(reading) for reading in found.split(",")]


def _toneless(reading: str) -> str:
    decomposed = unicodedata.normalize("NFD", reading)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ü", "v")


def first_readings() -> list[tuple[str, str]]:
    """(character, first reading without tones) for the CJK Unified Ideographs block (the sync process only)."""
    from pypinyin.pinyin_dict import pinyin_dict

    return [(chr(code), _toneless(pinyin_dict[code].split(",")[0]))
            for code in range(0x4E00, 0xA000) if code in pinyin_dict]


def search_keys(name: str) -> str:
    """``name`` followed by its initials (every reading) and its full pinyin (first reading), lowercase."""
    readings = [_readings(char) for char in name if not char.isspace()]
    if not readings:
        return ""
    initials = {"".join(choice) for choice in
                itertools.islice(itertools.product(*[sorted({r[0] for r in options}) for options in readings]),
                                 MAX_COMBINATIONS)}
    full = "".join(options[0] for options in readings)
    return " ".join([name.lower(), *sorted(initials), full])
