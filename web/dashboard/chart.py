"""The temperature trend as SVG, drawn on the server: no script, no image requests, readable without colour.

The fever line sits at the clinic's configured `fever_c`; readings at or over it are drawn as filled
squares (shape, not only colour, tells them apart).
"""
from __future__ import annotations

from datetime import datetime
from html import escape

from markupsafe import Markup

FLOOR_C, CEILING_C = 36.0, 39.5  # the y axis shows at least this span, so a flat 37.0 does not look wild


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def temperature_svg(series: list[tuple[datetime, float]], fever_c: float, *, title: str,
                    compact: bool = False, tz=None) -> Markup:
    """`series`: (taken_at, temperature_c) oldest first. `compact` is the dashboard row sparkline."""
    width, height = (300, 70) if compact else (800, 260)
    left, right, top, bottom = (4, 4, 6, 6) if compact else (44, 12, 14, 30)
    values = [value for _, value in series]
    low = min([FLOOR_C, fever_c - 1.0] + [v - 0.2 for v in values])
    high = max([CEILING_C, fever_c + 1.0] + [v + 0.2 for v in values])
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(celsius: float) -> float:
        return round(top + (high - celsius) / (high - low) * plot_h, 1)

    times = [moment for moment, _ in series]
    span = (times[-1] - times[0]).total_seconds() if len(times) > 1 else 0

    def x(moment: datetime) -> float:
        if not span:
            return round(left + plot_w / 2, 1)
        return round(left + (moment - times[0]).total_seconds() / span * plot_w, 1)

    if values:
        summary = (f"{len(values)} temperature reading{'s' if len(values) != 1 else ''}, "
                   f"from {_fmt(min(values))} to {_fmt(max(values))} °C, latest {_fmt(values[-1])} °C; "
                   f"fever line at {_fmt(fever_c)} °C.")
    else:
        summary = f"No temperature readings yet; fever line at {_fmt(fever_c)} °C."
    parts = [
        (f'<svg class="chart{" chart-compact" if compact else ""}" viewBox="0 0 {width} {height}" '
         f'role="img" aria-label="{escape(title)}: {escape(summary)}" xmlns="http://www.w3.org/2000/svg">'),
        f"<title>{escape(title)}</title><desc>{escape(summary)}</desc>",
        f'<rect class="chart-bg" x="{left}" y="{top}" width="{plot_w}" height="{plot_h}"/>',
    ]
    if not compact:
        degree = int(low) + 1
        while degree <= high:
            parts.append(f'<line class="chart-grid" x1="{left}" x2="{width - right}" y1="{y(degree)}" '
                         f'y2="{y(degree)}"/>')
            parts.append(f'<text class="chart-axis" x="{left - 6}" y="{y(degree) + 4}" '
                         f'text-anchor="end">{degree}</text>')
            degree += 1
        if times:
            first, last = times[0], times[-1]
            fmt = "%a %-I:%M %p"
            parts.append(f'<text class="chart-axis" x="{left}" y="{height - 8}">'
                         f'{escape((first.astimezone(tz) if tz else first).strftime(fmt))}</text>')
            if len(times) > 1:
                parts.append(f'<text class="chart-axis" x="{width - right}" y="{height - 8}" text-anchor="end">'
                             f'{escape((last.astimezone(tz) if tz else last).strftime(fmt))}</text>')
    fever_y = y(fever_c)
    parts.append(f'<line class="fever-line" data-fever-c="{_fmt(fever_c)}" x1="{left}" x2="{width - right}" '
                 f'y1="{fever_y}" y2="{fever_y}"/>')
    if not compact:
        parts.append(f'<text class="fever-label" x="{width - right - 4}" y="{fever_y - 5}" '
                     f'text-anchor="end">fever {_fmt(fever_c)} °C</text>')
    if len(values) > 1:
        points = " ".join(f"{x(moment)},{y(value)}" for moment, value in series)
        parts.append(f'<polyline class="trend" points="{points}"/>')
    size = 3 if compact else 4.5
    for moment, value in series:
        cx, cy = x(moment), y(value)
        label = f"{_fmt(value)} °C"
        if value >= fever_c:
            parts.append(f'<rect class="point point-fever" x="{cx - size}" y="{cy - size}" width="{size * 2}" '
                         f'height="{size * 2}"><title>{label} (fever)</title></rect>')
        else:
            parts.append(f'<circle class="point" cx="{cx}" cy="{cy}" r="{size}"><title>{label}</title></circle>')
    if not values and not compact:
        parts.append(f'<text class="chart-axis" x="{left + plot_w / 2}" y="{top + plot_h / 2}" '
                     f'text-anchor="middle">no temperatures yet</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def report_svg(counts: dict[str, int], *, title: str, labels=None) -> Markup:
    """Horizontal bars, one a category, each labelled with its name and count in text (no colour needed).
    Drawn 400 units wide so its 14-unit labels stay readable when a phone shrinks it to ~360 px."""
    labels = labels or {}
    names = list(counts)
    bar_h, gap, label_w, width = 22, 10, 150, 400
    height = max(1, len(names)) * (bar_h + gap) + gap
    most = max(counts.values(), default=0) or 1
    summary = "; ".join(f"{labels.get(name, name)}: {counts[name]}" for name in names) or "nothing to show"
    parts = [(f'<svg class="chart chart-bars" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}: {escape(summary)}" xmlns="http://www.w3.org/2000/svg">'),
             f"<title>{escape(title)}</title><desc>{escape(summary)}</desc>"]
    for index, name in enumerate(names):
        top = gap + index * (bar_h + gap)
        length = round((width - label_w - 40) * counts[name] / most, 1)
        parts.append(f'<text class="bar-label" x="{label_w - 8}" y="{top + 16}" text-anchor="end">'
                     f"{escape(str(labels.get(name, name)))}</text>")
        parts.append(f'<rect class="bar" x="{label_w}" y="{top}" width="{max(length, 1)}" height="{bar_h}"/>')
        parts.append(f'<text class="bar-value" x="{label_w + max(length, 1) + 6}" y="{top + 16}">{counts[name]}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
