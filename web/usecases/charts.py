"""Draw the dashboard's charts as SVG on the server: no script, no style sheet.

Each function takes figures and labels and returns the markup of one ``<svg>``
element, to be placed in a page as it is. The pages' Content-Security-Policy
forbids inline styles, so only presentation attributes are used (``fill``,
``font-size``...), never a ``style`` attribute or element. Each chart is an
image with a name (``role="img"``, ``aria-label`` and a ``<title>``) and a
short description; the page shows the same figures in a table beside it, so
that nothing is told by colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

# Dark enough to stand out from white (3:1 at least), distinct from each other.
PALETTE = (
    "#1d4ed8",
    "#b91c1c",
    "#15803d",
    "#b45309",
    "#7e22ce",
    "#0f766e",
    "#be185d",
    "#4d7c0f",
    "#c2410c",
    "#0369a1",
    "#4338ca",
    "#57534e",
)
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
TEXT_COLOUR = "#1f2937"
GRID_COLOUR = "#d1d5db"
TRACK_COLOUR = "#e5e7eb"

Formatter = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    """One layer of a stacked bar chart: a label, a colour, a value per column."""

    label: str
    values: Sequence[float]
    colour: str


# The longest label that fits half the plot's width at 12 px (about 6.5 px a
# character, after the colour swatch).
LEGEND_LABEL_CHARS = 40


def plain_number(value: float) -> str:
    """Write a count without decimals, and any other number with at most two."""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, float]],
    *,
    chart_id: str,
    description: str = "",
    colour: str = PALETTE[0],
    value_text: Formatter = plain_number,
    width: int = 480,
) -> Markup:
    """Draw one horizontal bar per label, the label above its bar."""
    row, top = 50, 8
    height = top + row * max(len(bars), 1)
    room = width - 64  # Keep space after the longest bar for its value.
    largest = max((value for _, value in bars), default=0)
    parts = [_opening(title, description, chart_id, width, height)]
    for index, (text, value) in enumerate(bars):
        y = top + index * row
        length = 0.0 if largest <= 0 else room * value / largest
        parts.append(
            Markup(
                "<g><title>{label} : {shown}</title>"
                '<text x="0" y="{text_y}" font-size="15" fill="{ink}">{label}</text>'
                '<rect x="0" y="{bar_y}" width="{room}" height="18" fill="{track}"/>'
                '<rect x="0" y="{bar_y}" width="{length:.1f}" height="18" '
                'fill="{colour}"/>'
                '<text x="{value_x:.1f}" y="{value_y}" font-size="15" '
                'font-weight="bold" fill="{ink}">{shown}</text></g>'
            ).format(
                label=text,
                shown=value_text(value),
                text_y=y + 15,
                bar_y=y + 22,
                value_y=y + 37,
                room=room,
                length=length,
                value_x=length + 6,
                colour=colour,
                ink=TEXT_COLOUR,
                track=TRACK_COLOUR,
            )
        )
    if not bars:
        parts.append(_centred_text("—", width / 2, height / 2 + 4))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def stacked_bar_chart(
    title: str,
    columns: Sequence[str],
    series: Sequence[Series],
    *,
    chart_id: str,
    description: str = "",
    empty_text: str = "",
    width: int = 640,
) -> Markup:
    """Draw one column per label, each split into the series stacked bottom up.

    Only the series with a value above zero are drawn and named in the legend.
    When there are many columns, one label in a few is written under them.
    """
    drawn = [layer for layer in series if any(value > 0 for value in layer.values)]
    left, top, plot_height, axis_room = 40, 12, 200, 28
    bottom = top + plot_height
    legend_top = bottom + axis_room + 8
    # Two columns of legend, or one when a label would run into its neighbour.
    legend_columns = (
        1 if any(len(str(layer.label)) > LEGEND_LABEL_CHARS for layer in drawn) else 2
    )
    height = legend_top + 20 * math.ceil(len(drawn) / legend_columns) + 4
    plot_width = width - left - 8
    totals = [
        sum(layer.values[index] for layer in drawn) for index in range(len(columns))
    ]
    scale_top, step = _nice_scale(max(totals, default=0))
    parts = [_opening(title, description, chart_id, width, height)]
    for tick in range(0, int(scale_top) + 1, int(step)):
        y = bottom - plot_height * tick / scale_top
        parts.append(
            Markup(
                '<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" '
                'stroke="{grid}" stroke-width="1"/>'
                '<text x="{label_x}" y="{label_y:.1f}" font-size="12" '
                'text-anchor="end" fill="{ink}">{tick}</text>'
            ).format(
                left=left,
                right=width - 8,
                y=y,
                label_x=left - 6,
                label_y=y + 4,
                tick=tick,
                grid=GRID_COLOUR,
                ink=TEXT_COLOUR,
            )
        )
    slot = plot_width / max(len(columns), 1)
    bar_width = max(slot * 0.7, 1.0)
    label_every = max(1, math.ceil(len(columns) / 12))
    for index, column in enumerate(columns):
        x = left + index * slot + (slot - bar_width) / 2
        y = float(bottom)
        for layer in drawn:
            value = layer.values[index]
            if value <= 0:
                continue
            size = plot_height * value / scale_top
            y -= size
            parts.append(
                Markup(
                    '<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
                    'height="{height:.1f}" fill="{colour}" stroke="#ffffff" '
                    'stroke-width="1"><title>{column} · {label} : {value}</title>'
                    "</rect>"
                ).format(
                    x=x,
                    y=y,
                    width=bar_width,
                    height=size,
                    colour=layer.colour,
                    column=column,
                    label=layer.label,
                    value=plain_number(value),
                )
            )
        if index % label_every == 0:
            parts.append(
                _centred_text(column, x + bar_width / 2, bottom + 18, font_size=12)
            )
    parts.append(
        Markup(
            '<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" '
            'stroke="{ink}" stroke-width="1"/>'
        ).format(left=left, bottom=bottom, right=width - 8, ink=TEXT_COLOUR)
    )
    for index, layer in enumerate(drawn):
        x = left + (index % legend_columns) * (plot_width / legend_columns)
        y = legend_top + 20 * (index // legend_columns)
        parts.append(
            Markup(
                '<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{colour}"/>'
                '<text x="{text_x:.1f}" y="{text_y}" font-size="12" fill="{ink}">'
                "{label}</text>"
            ).format(
                x=x,
                y=y,
                colour=layer.colour,
                text_x=x + 18,
                text_y=y + 11,
                label=layer.label,
                ink=TEXT_COLOUR,
            )
        )
    if not drawn and empty_text:
        parts.append(
            _centred_text(empty_text, left + plot_width / 2, top + plot_height / 2)
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def meter(value: float, maximum: float, *, label: str, width: int = 120) -> Markup:
    """Draw a small bar for a table cell: ``value`` out of ``maximum``."""
    length = 0.0 if maximum <= 0 else width * max(value, 0) / maximum
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="12" '
        'viewBox="0 0 {width} 12" role="img" aria-label="{label}">'
        "<title>{label}</title>"
        '<rect x="0" y="0" width="{width}" height="12" fill="{track}"/>'
        '<rect x="0" y="0" width="{length:.1f}" height="12" fill="{colour}"/>'
        "</svg>"
    ).format(
        width=width,
        label=label,
        length=length,
        track=TRACK_COLOUR,
        colour=PALETTE[0],
    )


def _opening(
    title: str, description: str, chart_id: str, width: int, height: int
) -> Markup:
    opening = Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        'role="img" aria-label="{title}" id="{chart_id}" font-family="{font}">'
        "<title>{title}</title>"
    ).format(width=width, height=height, title=title, chart_id=chart_id, font=FONT)
    if description:
        opening += Markup("<desc>{}</desc>").format(description)
    return opening


def _centred_text(text: str, x: float, y: float, *, font_size: int = 14) -> Markup:
    return Markup(
        '<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="middle" '
        'fill="{ink}">{text}</text>'
    ).format(x=x, y=y, size=font_size, ink=TEXT_COLOUR, text=text)


def _nice_scale(largest: float) -> tuple[float, float]:
    """Return a round top for the axis, and the step of its ticks (5 at most)."""
    if largest <= 0:
        return 1.0, 1.0
    rough = largest / 4
    magnitude = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(
        float(factor * magnitude)
        for factor in (1, 2, 5, 10)
        if factor * magnitude >= rough
    )
    return step * math.ceil(largest / step), step
