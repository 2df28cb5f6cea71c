"""Pinyin of Chinese text, for matching names and postings typed by different hands.

pypinyin loads its dictionaries on import (about half a second here, more on a Pi), so it is imported on the
first call: a command or page that never needs pinyin never pays for it.
"""

from __future__ import annotations


def syllables(text: str) -> list[str]:
    """The toneless pinyin syllables of ``text``, one per character (other characters pass through grouped)."""
    from pypinyin import lazy_pinyin

    return lazy_pinyin(text)
