"""Charts drawn on the server as SVG (issue 16): no script, no download, readable on a phone.

Two shapes serve every dashboard figure: stacked horizontal bars (one bar per township, village or rule; labels
stay readable at 360 px) and a line over months with an optional reference line (the 10,000-yuan support line).
Every bar segment and point carries a <title>, which browsers show on hover or long press; the exact numbers are
also in the table under each chart.  Colours are presentation attributes, not style: the page's policy is kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

WIDTH = 400
LABEL = 96  # room for a bar's label on its left
ROW = 24
PALETTE = ("#2b6cb0", "#dd8a1e", "#c0392b", "#2f855a", "#6b46c1", "#718096")
Number = int | float
Format = Callable[[Number], str]


def _text(x: float, y: float, content: str, anchor: str = "start", size: int = 13, fill: str = "#222") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">'
            f"{escape(content)}</text>")


def _legend(series: Sequence[str], y: float) -> tuple[list[str], float]:
    """Legend entries wrapped over as many lines as they need; the parts and the height used."""
    parts, x = [], 0.0
    for index, name in enumerate(series):
        width = 18 + 13 * len(name)
        if x and x + width > WIDTH:
            x, y = 0.0, y + 18
        parts.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{PALETTE[index % 6]}"/>')
        parts.append(_text(x + 16, y, name))
        x += width + 8
    return parts, y + 14


def _svg(height: float, parts: list[str], label: str) -> Markup:
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label="{escape(label)}" '
                  f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')


def bars(label: str, rows: Sequence[tuple[str, Sequence[Number]]], series: Sequence[str], fmt: Format = str,
         scale: Number | None = None, reference: tuple[str, Number] | None = None) -> Markup:
    """Stacked horizontal bars: one row per (name, values), one segment per series; ``scale`` is the full width
    (the largest total, or the reference, when None).  The total is written after each bar; a reference value is
    a dashed vertical line."""
    top = 20.0
    parts, top = _legend(series, top) if len(series) > 1 else ([], 4.0)
    if reference:
        top += 14
    biggest = scale or max([sum(values) for _, values in rows] + [reference[1] if reference else 0, 1])
    span = WIDTH - LABEL - 52
    for index, (name, values) in enumerate(rows):
        y = top + index * ROW
        parts.append(_text(LABEL - 6, y + 16, name if len(name) <= 7 else name[:6] + "…", "end"))
        x = float(LABEL)
        for number, (part, value) in enumerate(zip(series, values, strict=True)):
            width = span * value / biggest
            if width > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y + 3:.1f}" width="{width:.1f}" height="{ROW - 6}" '
                             f'fill="{PALETTE[number % 6]}"><title>{escape(f"{name} {part}：{fmt(value)}")}'
                             f"</title></rect>")
            x += width
        parts.append(_text(x + 4, y + 16, fmt(sum(values)), size=12, fill="#444"))
    if reference:  # over the bars, so it shows where they cross it
        x = LABEL + span * reference[1] / biggest
        bottom = top + max(len(rows), 1) * ROW
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4:.1f}" y2="{bottom:.1f}" stroke="#c0392b" '
                     f'stroke-width="2" stroke-dasharray="5 3"><title>'
                     f'{escape(f"{reference[0]}：{fmt(reference[1])}")}</title></line>')
        parts.append(_text(x, top - 6, reference[0], "middle", size=10, fill="#c0392b"))
    if not rows:
        parts.append(_text(WIDTH / 2, top + 16, "暂无数据", "middle", fill="#777"))
    return _svg(top + max(len(rows), 1) * ROW + 6, parts, label)


def _shade(share: float) -> str:
    """White to the palette's blue as ``share`` goes from 0 to 1; red below half (a month mostly not visited)."""
    if share < 0.5:
        return f"#{255:02x}{int(205 + 50 * share * 2):02x}{int(205 + 50 * share * 2):02x}"
    level = (share - 0.5) * 2
    return f"#{int(235 - 192 * level):02x}{int(242 - 134 * level):02x}{int(250 - 74 * level):02x}"


def heatmap(label: str, rows: Sequence[tuple[str, Sequence[float | None]]], months: Sequence[str]) -> Markup:
    """Shares (0–1) of each row and month as shaded cells with the percentage written in: coverage by unit and
    month in one picture, the chosen month in the last column.  None (a unit with nothing to count) is grey."""
    cell = (WIDTH - LABEL) / max(len(months), 1)
    parts = [_text(LABEL + (i + 0.5) * cell, 14, month[2:] if i % 2 == (len(months) - 1) % 2 else "", "middle",
                   size=10, fill="#555") for i, month in enumerate(months)]
    for index, (name, shares) in enumerate(rows):
        y = 20 + index * ROW
        parts.append(_text(LABEL - 6, y + 16, name if len(name) <= 7 else name[:6] + "…", "end"))
        for column, share in enumerate(shares):
            x = LABEL + column * cell
            if share is None:
                parts.append(f'<rect x="{x:.1f}" y="{y + 1:.1f}" width="{cell - 1:.1f}" height="{ROW - 2}" '
                             f'fill="#edf2f7"/>')
                parts.append(_text(x + cell / 2, y + 16, "—", "middle", size=10, fill="#777"))
                continue
            parts.append(f'<rect x="{x:.1f}" y="{y + 1:.1f}" width="{cell - 1:.1f}" height="{ROW - 2}" '
                         f'fill="{_shade(share)}"><title>{escape(f"{name} {months[column]}：{share:.0%}")}</title>'
                         f"</rect>")
            parts.append(_text(x + cell / 2, y + 16, f"{share * 100:.0f}", "middle", size=10,
                               fill="#fff" if share > 0.8 else "#222"))
    if not rows:
        parts.append(_text(WIDTH / 2, 36, "暂无数据", "middle", fill="#777"))
    return _svg(26 + max(len(rows), 1) * ROW, parts, label)


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above ``value``: axis ticks a reader can add up."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def line(label: str, months: Sequence[str], series: Sequence[tuple[str, Sequence[Number | None]]],
         fmt: Format = str, reference: tuple[str, Number] | None = None, ceiling: Number | None = None) -> Markup:
    """Lines over ``months`` (a None value leaves a gap) from zero up to ``ceiling`` (a round number above the
    largest value when None), with a dashed reference line when given."""
    parts, top = _legend([name for name, _ in series], 20.0)
    height, left, bottom = 190.0, 52.0, 24.0
    plot = height - bottom - top
    values = [v for _, points in series for v in points if v is not None] + ([reference[1]] if reference else [])
    high = float(ceiling or nice_ceiling(max(values + [0]) * 1.05))
    low = 0.0
    step = (WIDTH - left - 24) / max(len(months) - 1, 1)

    def y_of(value: Number) -> float:
        return top + plot * (1 - (value - low) / (high - low))

    for tick in range(5):
        value = low + (high - low) * tick / 4
        parts.append(f'<line x1="{left}" x2="{WIDTH - 6}" y1="{y_of(value):.1f}" y2="{y_of(value):.1f}" '
                     f'stroke="#e2e8f0"/>')
        parts.append(_text(left - 4, y_of(value) + 4, fmt(value), "end", size=11, fill="#555"))
    for index, month in enumerate(months):
        if index % 2 == (len(months) - 1) % 2:  # every other month, always the last
            parts.append(_text(left + index * step, height - 8, month[2:], "middle", size=11, fill="#555"))
    if reference:
        y = y_of(reference[1])
        parts.append(f'<line x1="{left}" x2="{WIDTH - 6}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c0392b" '
                     f'stroke-dasharray="5 3"><title>{escape(f"{reference[0]}：{fmt(reference[1])}")}</title></line>')
        parts.append(_text(WIDTH - 8, y - 4, reference[0], "end", size=10, fill="#c0392b"))
    for number, (name, points) in enumerate(series):
        colour = PALETTE[number % 6]
        path = [(left + i * step, y_of(v), months[i], v) for i, v in enumerate(points) if v is not None]
        if len(path) > 1:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in path)
            parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y, month, value in path:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>'
                         f'{escape(f"{name} {month}：{fmt(value)}")}</title></circle>')
    return _svg(height, parts, label)


def percent(value: Number) -> str:
    return f"{value:.0%}"


def yuan(value: Number) -> str:
    return f"{value:,.0f}"
