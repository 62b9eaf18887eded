"""A brief as a PowerPoint deck (python-pptx): editable text boxes, native tables, map and chart as images.

One slide per section (a long table continues on the next slides), 16:9. A briefer can restyle
it: every text is a text frame, every table a PowerPoint table. The core properties carry the
data's date and the zip entries a fixed time, so the same brief gives the same bytes.
"""

from __future__ import annotations

import io
import math
import zipfile

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.slide import Slide
from pptx.util import Emu, Inches, Pt

from geo.render.briefmodel import Brief, Table, cell_text

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
ACCENT, INK, MUTED, WARN = RGBColor(0x1F, 0x4E, 0x79), RGBColor(0x1D, 0x1D, 0x1D), RGBColor(0x5A, 0x5A, 0x5A), \
    RGBColor(0xB2, 0x18, 0x2B)
ROWS_PER_SLIDE = 14
TABLE_HEIGHT = 4.8
"""Inches of table rows on a slide, below the header row and above the note and footer."""
CHAR_WIDTH, LINE_HEIGHT, ROW_PADDING = 0.08, 0.17, 0.1
"""Average character width and line height of 10 pt text, and a cell's top and bottom margins (inches)."""
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def brief_pptx(brief: Brief) -> bytes:
    """The PowerPoint deck of ``brief``.

    Parameters
    ----------
    brief : the content (``layers.brief.build_brief``)

    Returns
    -------
    The ``.pptx`` file content; the same brief gives the same bytes.
    """
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDTH, HEIGHT
    _title_slide(deck, brief)
    figures = Table(brief.heading("brief_key_figures"),
                    (brief.heading("brief_figure"), brief.heading("brief_value"), brief.heading("brief_note")),
                    tuple((f.label, f.text(brief.lang), f.note) for f in brief.figures), brief.figures_note)
    _table_slides(deck, brief, figures, (3.6, 2.0, 6.7))
    _image_slide(deck, brief, brief.heading("brief_map"), brief.map_png)
    _image_slide(deck, brief, brief.heading("brief_monthly"), brief.chart_png)
    _table_slides(deck, brief, brief.provinces, (6.0, 3.0, 3.0))
    widths = (1.3, 3.6, 2.0, 1.8, 2.4, 1.2) if len(brief.projects.columns) == 6 else (1.3, 4.2, 2.1, 2.0, 2.7)
    _table_slides(deck, brief, brief.projects, widths)
    _table_slides(deck, brief, brief.schools, (1.4, 5.5, 2.6, 1.4, 1.4))
    _table_slides(deck, brief, brief.exposure, (3.0, 4.0, 1.6, 1.6, 2.1))
    _sources_slide(deck, brief)
    props = deck.core_properties
    props.title, props.author, props.last_modified_by = brief.title, "coopmap", "coopmap"
    props.subject = brief.subtitle
    props.created = props.modified = props.last_printed = brief.moment().replace(tzinfo=None)
    props.revision = 1
    buffer = io.BytesIO()
    deck.save(buffer)
    return _fixed_times(buffer.getvalue())


def _fixed_times(content: bytes) -> bytes:
    """The same zip with every entry dated ``ZIP_TIME`` (python-pptx stamps the current time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            target.writestr(info, source.read(item.filename))
    return out.getvalue()


def _blank(deck: Presentation, brief: Brief, heading: str) -> Slide:
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    _text(slide, heading, MARGIN, Inches(0.3), WIDTH - 2 * MARGIN, Inches(0.7), 26, ACCENT, bold=True)
    footer = f"coopmap · {brief.heading('brief_data_version', version=brief.data_version)}"
    if brief.notice:
        footer += f" · {brief.notice}"
    _text(slide, footer, MARGIN, HEIGHT - Inches(0.45), WIDTH - 2 * MARGIN, Inches(0.3), 9,
          WARN if brief.notice else MUTED)
    return slide


def _text(slide: Slide, words: str, left: Emu, top: Emu, width: Emu, height: Emu, size: float,
          color: RGBColor, bold: bool = False) -> None:
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(words.split("\n")):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = line
        run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, color


def _title_slide(deck: Presentation, brief: Brief) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    _text(slide, brief.title, MARGIN, Inches(1.6), WIDTH - 2 * MARGIN, Inches(1.2), 36, ACCENT, bold=True)
    _text(slide, brief.subtitle, MARGIN, Inches(3.0), WIDTH - 2 * MARGIN, Inches(0.6), 18, INK)
    version = brief.heading("brief_data_version", version=brief.data_version)
    _text(slide, version + (f" · {brief.date}" if brief.date else ""), MARGIN, Inches(3.6),
          WIDTH - 2 * MARGIN, Inches(0.5), 14, MUTED)
    if brief.notice:
        _text(slide, brief.notice, MARGIN, Inches(4.3), WIDTH - 2 * MARGIN, Inches(0.6), 18, WARN, bold=True)
    _text(slide, brief.heading("brief_generated"), MARGIN, Inches(6.2), WIDTH - 2 * MARGIN, Inches(0.5), 12,
          MUTED)


def _image_slide(deck: Presentation, brief: Brief, heading: str, png: bytes) -> None:
    slide = _blank(deck, brief, heading)
    from PIL import Image

    width, height = Image.open(io.BytesIO(png)).size
    room_w, room_h = WIDTH - 2 * MARGIN, HEIGHT - Inches(1.1) - Inches(0.6)
    scale = min(room_w / width, room_h / height)
    w, h = int(width * scale), int(height * scale)
    slide.shapes.add_picture(io.BytesIO(png), int((WIDTH - w) / 2), Inches(1.1), w, h)


def _chunks(table: Table, widths: tuple[float, ...], lang: str) -> list[tuple[tuple, ...]]:
    """The rows of ``table`` in slide-sized runs: at most ``ROWS_PER_SLIDE`` rows and ``TABLE_HEIGHT``
    inches, each row's height estimated from its longest cell wrapped at its column's width."""
    chunks: list[tuple[tuple, ...]] = []
    current: list[tuple] = []
    used = 0.0
    for row in table.rows:
        lines = max((math.ceil(len(cell_text(v, lang, 1)) / max(1, int(w / CHAR_WIDTH))) for v, w in
                     zip(row, widths, strict=False)), default=1)
        height = max(1, lines) * LINE_HEIGHT + ROW_PADDING
        if current and (len(current) == ROWS_PER_SLIDE or used + height > TABLE_HEIGHT):
            chunks.append(tuple(current))
            current, used = [], 0.0
        current.append(row)
        used += height
    if current:
        chunks.append(tuple(current))
    return chunks or [()]


def _table_slides(deck: Presentation, brief: Brief, table: Table, widths: tuple[float, ...]) -> None:
    chunks = _chunks(table, widths, brief.lang)
    for n, rows in enumerate(chunks, start=1):
        heading = table.title if len(chunks) == 1 else f"{table.title} ({n}/{len(chunks)})"
        slide = _blank(deck, brief, heading)
        top = Inches(1.1)
        if not rows:
            _text(slide, table.empty, MARGIN, top, WIDTH - 2 * MARGIN, Inches(0.5), 14, MUTED)
        else:
            shape = slide.shapes.add_table(len(rows) + 1, len(table.columns), MARGIN, top,
                                           Inches(sum(widths)), Inches(0.3) * (len(rows) + 1))
            grid = shape.table
            for j, width in enumerate(widths):
                grid.columns[j].width = Inches(width)
            for j, name in enumerate(table.columns):
                _cell(grid.cell(0, j), name, bold=True)
            for i, row in enumerate(rows, start=1):
                for j, value in enumerate(row):
                    _cell(grid.cell(i, j), cell_text(value, brief.lang, 1))
        if table.note and n == len(chunks):
            _text(slide, table.note, MARGIN, HEIGHT - Inches(1.1), WIDTH - 2 * MARGIN, Inches(0.6), 10, MUTED)


def _cell(cell: object, words: str, bold: bool = False) -> None:
    frame = cell.text_frame  # type: ignore[attr-defined]
    frame.word_wrap = True
    run = frame.paragraphs[0].add_run()
    run.text = words
    run.font.size, run.font.bold = Pt(11 if bold else 10), bold


def _sources_slide(deck: Presentation, brief: Brief) -> None:
    slide = _blank(deck, brief, brief.heading("brief_sources"))
    colon = " : " if brief.lang == "fr" else ": "
    lines = ["• " + line for line in brief.sources] + ["", brief.heading("brief_api")]
    lines += [f"{label}{colon}{url}" for label, url in brief.urls]
    _text(slide, "\n".join(lines), MARGIN, Inches(1.1), WIDTH - 2 * MARGIN, HEIGHT - Inches(1.8), 10, INK)
