"""A brief as an A4 landscape PDF (matplotlib's PDF backend, TrueType fonts embedded).

A page per section: title and key figures, map, monthly chart, provinces, projects and
schools, exposure, sources; a table longer than its page continues on the next (header
repeated, "continued" in the heading). Text is real text (searchable, copyable; French accents from the
embedded DejaVu Sans). No date is written in the file: the same brief gives the same bytes.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Sequence

import matplotlib
import matplotlib.image as mpimg
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from geo.i18n import text
from geo.render.briefmodel import Brief, Table, cell_text
from geo.render.snapshot import RC

PAGE = (11.69, 8.27)
"""A4 landscape, inches."""
MARGIN = 0.45
INK, MUTED, ACCENT, WARN = "#1d1d1d", "#5a5a5a", "#1f4e79", "#b2182b"
METADATA = {"CreationDate": None, "ModDate": None, "Producer": "coopmap", "Creator": "coopmap"}
FONT = 7.5
LINE = 0.16
"""Height of a table text line at ``FONT`` points, inches."""
MAX_LINES = 8
"""Lines of a table cell; a longer one ends with an ellipsis."""
ASCENT = 0.93
"""Height of DejaVu Sans' capitals and ascenders above the baseline, in ems (a line's first baseline)."""
CHAR = 0.058
"""Average width of a character at ``FONT`` points, inches (for wrapping)."""
BOTTOM = PAGE[1] - 0.7
"""Lowest y a table row may reach (the footer and the synthetic notice are below)."""
NO_LIGATURES = ("-liga",)
_LOCK = threading.Lock()


def brief_pdf(brief: Brief) -> bytes:
    """The PDF of ``brief``.

    Parameters
    ----------
    brief : the content (``layers.brief.build_brief``)

    Returns
    -------
    The file content; the same brief gives the same bytes.
    """
    with _LOCK, matplotlib.rc_context(RC):
        pages = _Pages(brief)
        for section in SECTIONS:
            section(pages, brief)
        buffer = io.BytesIO()
        with PdfPages(buffer, metadata={**METADATA, "Title": brief.title}) as pdf:
            for figure in pages.finished():
                pdf.savefig(figure, dpi=150)
        return buffer.getvalue()


def brief_preview_png(brief: Brief, dpi: int = 90) -> bytes:
    """Page 1 of the PDF (title and key figures) as a PNG, drawn by the same code, for previews.

    Parameters
    ----------
    brief : the content (``layers.brief.build_brief``)
    dpi : resolution (90: 1052 × 744 pixels)
    """
    with _LOCK, matplotlib.rc_context(RC):
        pages = _Pages(brief)
        SECTIONS[0](pages, brief)
        buffer = io.BytesIO()
        pages.finished()[0].savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
        return buffer.getvalue()


class _Pages:
    """The pages of a document as figures (one axes each, in inches, y down); ``ax`` is the last."""

    def __init__(self, brief: Brief) -> None:
        self.brief = brief
        self.figures: list[Figure] = []

    def new(self) -> Axes:
        figure = Figure(figsize=PAGE, facecolor="white")
        ax = figure.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_xlim(0, PAGE[0])
        ax.set_ylim(PAGE[1], 0)
        self.figures.append(figure)
        return ax

    @property
    def ax(self) -> Axes:
        return self.figures[-1].axes[0]

    def finished(self) -> list[Figure]:
        """The figures with their footers."""
        for number, figure in enumerate(self.figures, start=1):
            ax = figure.axes[0]
            _footer(ax, self.brief, number)
            for words in ax.texts:
                # Ligature glyphs ("fi", "ffi") would go to a second subset of each font, embedded
                # apart: twice the fonts to subset (the largest cost of a cold PDF), for no visible gain.
                words.set_fontfeatures(NO_LIGATURES)
        return self.figures


def _heading(ax: Axes, words: str, y: float = MARGIN + 0.1) -> float:
    ax.text(MARGIN, y, words, fontsize=16, fontweight="bold", color=ACCENT, va="top")
    return y + 0.45


def _footer(ax: Axes, brief: Brief, number: int) -> None:
    y = PAGE[1] - 0.3
    left = f"coopmap · {brief.title} · {brief.heading('brief_data_version', version=brief.data_version)}"
    ax.text(MARGIN, y, left, fontsize=6.5, color=MUTED, va="center")
    ax.text(PAGE[0] - MARGIN, y, brief.heading("brief_page", n=number), fontsize=6.5, color=MUTED,
            va="center", ha="right")
    if brief.synthetic:
        ax.text(PAGE[0] / 2, y - 0.18, brief.notice, fontsize=6.5, color=WARN, va="center", ha="center")


def _title_page(pages: _Pages, brief: Brief) -> None:
    ax = pages.new()
    y = MARGIN + 0.3
    for line in textwrap.wrap(brief.title, 60):
        ax.text(MARGIN, y, line, fontsize=24, fontweight="bold", color=ACCENT, va="top")
        y += 0.45
    ax.text(MARGIN, y + 0.05, brief.subtitle, fontsize=11, color=INK, va="top")
    date = f" · {brief.date}" if brief.date else ""
    ax.text(MARGIN, y + 0.35, brief.heading("brief_data_version", version=brief.data_version) + date,
            fontsize=9, color=MUTED, va="top")
    y += 0.75
    if brief.notice:
        ax.text(MARGIN, y, brief.notice, fontsize=11, fontweight="bold", color=WARN, va="top",
                bbox={"boxstyle": "square,pad=0.4", "facecolor": "#fdecea", "edgecolor": WARN})
        y += 0.55
    y = _heading(ax, brief.heading("brief_key_figures"), y + 0.1)
    rows = tuple((f.label, f.text(brief.lang), f.note) for f in brief.figures)
    table = Table("", (brief.heading("brief_figure"), brief.heading("brief_value"), brief.heading("brief_note")),
                  rows)
    y = _table(pages, table, brief.lang, y, widths=(3.2, 1.6, 6.0), size=10)
    ax = pages.ax
    if brief.figures_note:
        ax.text(MARGIN, y + 0.05, brief.figures_note, fontsize=9, color=WARN, va="top")
        y += 0.3
    ax.text(MARGIN, y + 0.2, brief.heading("brief_generated"), fontsize=8, color=MUTED, va="top")


def _image_page(pages: _Pages, brief: Brief, heading: str, png: bytes) -> None:
    ax = pages.new()
    top = _heading(ax, heading)
    image = mpimg.imread(io.BytesIO(png), format="png")
    height, width = image.shape[:2]
    room_w, room_h = PAGE[0] - 2 * MARGIN, PAGE[1] - top - 0.6
    scale = min(room_w / width, room_h / height)
    w, h = width * scale, height * scale
    left = (PAGE[0] - w) / 2
    ax.imshow(image, extent=(left, left + w, top + h, top), interpolation="none")
    ax.set_xlim(0, PAGE[0])
    ax.set_ylim(PAGE[1], 0)


def _map_page(pages: _Pages, brief: Brief) -> None:
    _image_page(pages, brief, brief.heading("brief_map"), brief.map_png)


def _chart_page(pages: _Pages, brief: Brief) -> None:
    _image_page(pages, brief, brief.heading("brief_monthly"), brief.chart_png)


def _provinces_page(pages: _Pages, brief: Brief) -> None:
    y = _heading(pages.new(), brief.provinces.title)
    _table(pages, brief.provinces, brief.lang, y, widths=(4.0, 1.5, 1.5))


def _registry_page(pages: _Pages, brief: Brief) -> None:
    y = _heading(pages.new(), brief.projects.title)
    widths = (1.1, 3.4, 1.6, 1.6, 1.9, 1.2) if len(brief.projects.columns) == 6 else (1.2, 4.0, 1.7, 1.8, 2.1)
    y = _table(pages, brief.projects, brief.lang, y, widths=widths)
    if y + 1.2 > BOTTOM:  # not a heading alone at the foot of a page
        y = MARGIN + 0.1 - 0.25
        pages.new()
    y = _heading(pages.ax, brief.schools.title, y + 0.25)
    _table(pages, brief.schools, brief.lang, y, widths=(1.2, 5.0, 2.0, 1.0, 1.0))


def _exposure_page(pages: _Pages, brief: Brief) -> None:
    y = _heading(pages.new(), brief.exposure.title)
    _table(pages, brief.exposure, brief.lang, y, widths=(2.8, 3.1, 1.2, 1.2, 2.4))


def _sources_page(pages: _Pages, brief: Brief) -> None:
    ax = pages.new()
    y = _heading(ax, brief.heading("brief_sources"))
    for line in brief.sources:
        for part in textwrap.wrap("• " + line, 150, subsequent_indent="  "):
            ax.text(MARGIN, y, part, fontsize=8, color=INK, va="top")
            y += 0.19
    y = _heading(ax, brief.heading("brief_api"), y + 0.2)
    for label, url in brief.urls:
        ax.text(MARGIN, y, label, fontsize=8, fontweight="bold", color=INK, va="top")
        y += 0.18
        for part in textwrap.wrap(url, 170, break_on_hyphens=False):
            ax.text(MARGIN + 0.2, y, part, fontsize=7.5, color=ACCENT, va="top")
            y += 0.17
        y += 0.05


SECTIONS = (_title_page, _map_page, _chart_page, _provinces_page, _registry_page, _exposure_page, _sources_page)
"""The sections in order, each from a new page."""


def _table(pages: _Pages, table: Table, lang: str, y: float, widths: tuple[float, ...],
           size: float = FONT) -> float:
    """Draw ``table`` from ``y`` down on the last page (header row, then wrapped cells), going on
    on new pages as needed (heading "continued", header repeated); returns the y below it."""
    ax = pages.ax
    scale = size / FONT
    if not table.rows:
        ax.text(MARGIN, y, table.empty, fontsize=size, color=MUTED, va="top")
        y += LINE * scale + 0.1
        return _note(ax, table.note, y)
    x = [MARGIN]
    for w in widths[:-1]:
        x.append(x[-1] + w)
    right = x[-1] + widths[-1]
    header = _wrapped(table.columns, widths, size)
    y = _header(ax, header, x, right, y, size)
    for i, row in enumerate(table.rows):
        cells = _wrapped([cell_text(c, lang, 1) for c in row], widths, size)
        if y + _height(cells, size) > BOTTOM:
            ax.plot([MARGIN, right], [y - 0.03, y - 0.03], color="#999999", linewidth=0.4)
            ax = pages.new()
            words = f"{table.title} ({text(lang, 'brief_continued')})" if table.title else ""
            y = _header(ax, header, x, right, _heading(ax, words) if words else MARGIN + 0.1, size)
        top = y
        y = _draw_row(ax, cells, x, y, size, bold=False)
        if i % 2:
            ax.fill_between([MARGIN, right], top - 0.03, y - 0.03, color="#f1f4f8", linewidth=0, zorder=0)
    ax.plot([MARGIN, right], [y - 0.03, y - 0.03], color="#999999", linewidth=0.4)
    return _note(ax, table.note, y + 0.05)


def _header(ax: Axes, header: list[list[str]], x: list[float], right: float, y: float, size: float) -> float:
    y = _draw_row(ax, header, x, y, size, bold=True)
    ax.plot([MARGIN, right], [y - 0.03, y - 0.03], color=INK, linewidth=0.6)
    return y


def _wrapped(cells: Sequence[str], widths: tuple[float, ...], size: float) -> list[list[str]]:
    """Each cell's lines at its column's width (at most ``MAX_LINES``, the last ending "…" when cut)."""
    scale = size / FONT
    out = []
    for width, cell in zip(widths, cells, strict=False):
        lines = textwrap.wrap(str(cell), max(4, int(width / (CHAR * scale)) - 1)) or [""]
        if len(lines) > MAX_LINES:  # never cut silently
            lines = [*lines[:MAX_LINES - 1], lines[MAX_LINES - 1] + " …"]
        out.append(lines)
    return out


def _height(cells: list[list[str]], size: float) -> float:
    return max(len(lines) for lines in cells) * LINE * size / FONT + 0.06


def _draw_row(ax: Axes, cells: list[list[str]], x: list[float], y: float, size: float, bold: bool) -> float:
    for left, lines in zip(x, cells, strict=False):
        for k, line in enumerate(lines):
            # on a common baseline (a top alignment would lower cells without descenders)
            ax.text(left + 0.04, y + (ASCENT + k * 1.25) * size / 72, line, fontsize=size, color=INK,
                    va="baseline", fontweight="bold" if bold else "normal")
    return y + _height(cells, size)


def _note(ax: Axes, note: str, y: float) -> float:
    for part in textwrap.wrap(note, 170):
        ax.text(MARGIN, y, part, fontsize=7, color=MUTED, va="top")
        y += 0.16
    return y
