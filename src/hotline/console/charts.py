"""Charts as inline SVG, drawn on the server: no script, no library, a few hundred bytes.

Every chart has a text alternative (role="img" and a label), and colour is never the only
sign: a gap is also said in words beside its bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

GAP = "#b3261e"
COVERED = "#2e7d32"
BAR = "#1f4e79"
INK = "#1b1b1b"


def day_bar(gaps: Sequence[tuple[float, float]], *, label: str) -> Markup:
    """A stretch of time as a bar: green where someone is on call, red in the `gaps`
    (fractions of the stretch, 0 to 1)."""
    rects = "".join(
        f'<rect x="{start * 240:.1f}" y="0" width="{max((end - start) * 240, 0.8):.1f}" '
        f'height="14" fill="{GAP}"/>'
        for start, end in gaps
    )
    return Markup(  # noqa: S704 - numbers we computed; the label is escaped
        '<svg class="bar" viewBox="0 0 240 14" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(label)}"><rect width="240" height="14" fill="{COVERED}"/>'
        f"{rects}</svg>"
    )


@dataclass(frozen=True, slots=True)
class Column:
    """One bar of a chart: its label under it, its height, the text over it."""

    label: str
    value: float | None
    shown: str


def bar_chart(columns: Sequence[Column], *, title: str) -> Markup:
    """Columns side by side, each with its value written over it; None draws no bar."""
    width, height, base = 40 * max(len(columns), 1), 140, 110
    top = max((c.value for c in columns if c.value is not None), default=0.0) or 1.0
    parts = []
    for index, column in enumerate(columns):
        x = index * 40 + 6
        tall = 0.0 if column.value is None else column.value / top * 90
        parts.append(
            f'<rect x="{x}" y="{base - tall:.1f}" width="28" height="{tall:.1f}" fill="{BAR}"/>'
            f'<text x="{x + 14}" y="{base - tall - 4:.1f}" text-anchor="middle" '
            f'font-size="11" fill="{INK}">{escape(column.shown)}</text>'
            f'<text x="{x + 14}" y="{base + 16}" text-anchor="middle" font-size="10" '
            f'fill="{INK}">{escape(column.label)}</text>'
        )
    summary = "; ".join(f"{c.label}: {c.shown}" for c in columns)
    return Markup(  # noqa: S704 - numbers we computed; every text is escaped
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}: {escape(summary)}">'
        f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="{INK}"/>'
        f"{''.join(parts)}</svg>"
    )
