"""A twelve-month income chart as plain SVG geometry: no script, no library, nothing from elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

from shared.months import parse_month

WIDTH, HEIGHT, LABEL = 336, 120, 16


@dataclass
class Bar:
    month: str
    label: str
    value: int | None
    x: float
    y: float
    width: float
    height: float


@dataclass
class Chart:
    bars: list[Bar]
    baseline: float
    width: int = WIDTH
    height: int = HEIGHT + LABEL
    peak: int = 0


def bars(months: list[str], values: dict[str, int]) -> Chart:
    """One bar per month (none where no visit was recorded), scaled to the largest magnitude."""
    known = [values[m] for m in months if m in values]
    top = max([v for v in known if v > 0], default=0)
    bottom = min([v for v in known if v < 0], default=0)
    span = (top - bottom) or 1
    baseline = HEIGHT * top / span
    step = WIDTH / len(months)
    found = []
    for index, month in enumerate(months):
        value = values.get(month)
        size = 0.0 if value is None else HEIGHT * abs(value) / span
        y = baseline - size if value and value > 0 else baseline
        found.append(Bar(month, str(parse_month(month)[1]), value, index * step + 3, y, step - 6, max(size, 1.0)))
    return Chart(found, baseline, peak=top)
