"""Writes the offline app's reading table, ``field_node/web/static/readings.txt`` (issue 14).

The phone finds a name typed with a homophone (周兰平 for 周兰萍) by the typed characters' pinyin, with no network:
it needs each character that may be typed and its first reading, toneless, exactly as the station's
``pinyin_reading`` holds it.  What may be typed is GB 2312's 6,763 characters (what a phone's pinyin keyboard offers
first); the names themselves travel with their readings already (the members' search keys).  One line per reading:
the reading, a space, its characters.  ``tests/field_node/roster/test_search.py`` checks the file is current.

    python -m devtools.phone_readings
"""

from __future__ import annotations

from pathlib import Path

from field_node.roster.search import first_readings

TARGET = Path(__file__).resolve().parents[1] / "field_node" / "web" / "static" / "readings.txt"


def gb2312_characters() -> set[str]:
    """GB 2312's Chinese characters: rows 16–87 of its 94×94 table (16–55 level 1, 56–87 level 2)."""
    found = set()
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                found.add(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return found


def readings_text() -> str:
    typed = gb2312_characters()
    by_reading: dict[str, list[str]] = {}
    for char, reading in first_readings():
        if char in typed:
            by_reading.setdefault(reading, []).append(char)
    return "".join(f"{reading} {''.join(chars)}\n" for reading, chars in sorted(by_reading.items()))


def main() -> None:
    TARGET.write_text(readings_text(), encoding="utf-8")
    print(f"{TARGET}: {TARGET.stat().st_size} bytes")


if __name__ == "__main__":
    main()
