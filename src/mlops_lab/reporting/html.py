"""Self-contained HTML reports: one file, inline styles, images inline as base64 PNG.

A report is a title and a list of :class:`Section`, each a list of HTML blocks built
with :func:`paragraph`, :func:`items`, :func:`table` and :func:`image`. Nothing in a
report refers to the network or to another file, so it can be opened from an MLflow
run's artifacts, an e-mail or a laptop without a connection. Text is escaped; only the
blocks built here are trusted.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;
background:#f6f7f9;line-height:1.45}
header{background:#1f3a5f;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:1.6em}header p{margin:4px 0 0;opacity:.85}
nav{padding:8px 32px;background:#e8ecf2;font-size:.92em}
nav a{margin-right:14px;color:#1f3a5f;text-decoration:none}
main{padding:8px 32px 40px;max-width:1200px}
section{background:#fff;border:1px solid #dde2ea;border-radius:6px;margin:18px 0;
padding:8px 20px 16px}
h2{color:#1f3a5f;border-bottom:2px solid #e8ecf2;padding-bottom:4px}
table{border-collapse:collapse;margin:10px 0;font-size:.88em}
th,td{border:1px solid #d5dbe4;padding:3px 8px;text-align:right}
th{background:#eef1f6}td:first-child,th:first-child{text-align:left}
caption{caption-side:top;text-align:left;font-weight:600;padding:4px 0}
figure{margin:12px 0}img{max-width:100%;border:1px solid #e0e4ea}
figcaption{font-size:.88em;color:#555}
.callout{border-left:5px solid #c77d00;background:#fff7e8;padding:8px 12px}
.good{border-left-color:#2e7d32;background:#edf7ee}
"""


@dataclass(frozen=True)
class Section:
    """One titled part of a report; ``blocks`` are HTML fragments built by this module."""

    title: str
    blocks: Sequence[str] = field(default_factory=tuple)

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")


def paragraph(text: str, callout: str | None = None) -> str:
    """A paragraph of escaped text; ``callout="warn"`` or ``"good"`` frames it."""
    if callout is None:
        return f"<p>{html.escape(text)}</p>"
    kind = "callout good" if callout == "good" else "callout"
    return f'<p class="{kind}">{html.escape(text)}</p>'


def items(values: Iterable[str]) -> str:
    """A bulleted list of escaped texts."""
    return "<ul>" + "".join(f"<li>{html.escape(str(v))}</li>" for v in values) + "</ul>"


def table(
    frame: pd.DataFrame,
    caption: str | None = None,
    digits: int = 3,
    formats: Mapping[str, str] | None = None,
) -> str:
    """A table of the frame's rows (index not shown); floats rounded to ``digits``."""
    formats = dict(formats or {})

    def cell(column: str, value: object) -> str:
        if column in formats and isinstance(value, int | float):
            return html.escape(format(value, formats[column]))
        if isinstance(value, float):
            return "" if pd.isna(value) else html.escape(f"{value:.{digits}f}")
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{cell(c, v)}</td>" for c, v in zip(frame.columns, row, strict=True))
        + "</tr>"
        for row in frame.itertuples(index=False, name=None)
    )
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def png_data_uri(figure: Figure, dpi: int = 100) -> str:
    """The figure as a ``data:image/png;base64,...`` URI."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image(figure: Figure, caption: str, dpi: int = 100) -> str:
    """The figure inline, with its caption (also the image's alternative text)."""
    alt = html.escape(caption, quote=True)
    return (
        f'<figure><img src="{png_data_uri(figure, dpi)}" alt="{alt}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def highlighted_text(words: Sequence[str], weights: Sequence[float], scale: float) -> str:
    """Words with a background whose strength is ``|weight| / scale``: red for a positive
    weight, blue for a negative one; each word's weight is its tooltip. Text is escaped."""
    spans = []
    for word, weight in zip(words, weights, strict=True):
        alpha = min(1.0, abs(float(weight)) / scale) if scale > 0 else 0.0
        colour = "214,39,40" if weight > 0 else "31,119,180"
        spans.append(
            f'<span title="{float(weight):+.3f}" style="background:rgba({colour},{alpha:.2f});'
            f'padding:1px 2px;border-radius:3px">{html.escape(str(word))}</span>'
        )
    return f'<p class="highlighted">{" ".join(spans)}</p>'


def render(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    """The whole report as one HTML document (inline CSS, a table of contents)."""
    nav = "".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{s.anchor}"><h2>{html.escape(s.title)}</h2>{"".join(s.blocks)}</section>'
        for s in sections
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>"
        f"<nav>{nav}</nav><main>{body}</main></body></html>"
    )
