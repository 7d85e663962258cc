"""The report as PDF (fpdf2, A4): the HTML page's content with DejaVu Sans or Noto Sans, tables that break across
pages with their header repeated (and split by columns when too wide), charts scaled to the text width, page
numbers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image

from .cells import NONE, Chart, Paragraph, Report, Section, Table
from .charts_base import DPI

FONT_CHOICES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"),
)
FONT_HINT = "install the Debian package fonts-dejavu-core (or fonts-noto-core)"
# Noto Sans lacks these; DejaVu Sans has them
_PLAIN = str.maketrans({"≥": ">=", "→": "->", "−": "-", "⌈": "", "⌉": " (aufgerundet)"})
MARGIN = 18.0
BODY = 9.5        # points
PT = 25.4 / 72
_PAD = 2.6         # a table cell's left and right padding, mm


class FontMissing(FileNotFoundError):
    """No font with German umlauts for the PDF."""


def report_fonts() -> tuple[Path, Path]:
    for regular, bold in FONT_CHOICES:
        if Path(regular).is_file() and Path(bold).is_file():
            return Path(regular), Path(bold)
    raise FontMissing(f"the report's PDF needs DejaVu Sans or Noto Sans ({', '.join(r for r, _ in FONT_CHOICES)}): "
                      f"{FONT_HINT}")


class ReportPDF(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        regular, bold = report_fonts()
        self.plain = "dejavu" not in regular.name.lower()
        self.add_font("body", "", str(regular))
        self.add_font("body", "B", str(bold))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN)
        self.running = f"{report.title} · {report.subtitle}"
        self.set_title(report.title)
        self.set_lang("de")
        self.set_creator("arkaden")

    def t(self, text: str) -> str:
        return text.translate(_PLAIN) if self.plain else text

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font("body", "", 7.5)
            self.set_text_color(90)
            self.set_y(8)
            self.cell(0, 4, self.t(self.running), align=Align.L)
            self.set_y(MARGIN)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("body", "", 8)
        self.set_text_color(60)
        self.cell(0, 5, f"Seite {self.page_no()} von {{nb}}", align=Align.C)

    @property
    def width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def room(self) -> float:
        return self.page_break_trigger - self.get_y()

    def text_block(self, text: str, size: float = BODY, bold: bool = False, gray: int = 0, after: float = 2) -> None:
        self.set_font("body", "B" if bold else "", size)
        self.set_text_color(gray)
        self.set_x(self.l_margin)
        self.multi_cell(self.width, size * PT * 1.45, self.t(text), align=Align.L, new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)
        self.ln(after)


def _widths(pdf: ReportPDF, table: Table, size: float) -> tuple[float, list[float]]:
    """The row-header column (wraps past a cap, narrower when the table would not fit otherwise) and each
    data column as wide as its longest number or the longest word of its header."""

    def longest_word(text: str, style: str) -> float:
        pdf.set_font("body", style, size)
        return max((pdf.get_string_width(pdf.t(w)) for w in text.split()), default=0.0)

    pdf.set_font("body", "", size)
    cols = []
    for i, title in enumerate(table.columns):
        pdf.set_font("body", "", size)
        cells = max((pdf.get_string_width(pdf.t(r.cells[i].text)) for r in table.rows), default=0.0)
        cols.append(max(cells, longest_word(title, "B"), 7.0) + _PAD)
    natural = 0.0
    for r in table.rows:
        pdf.set_font("body", "B" if r.total else "", size)
        natural = max(natural, pdf.get_string_width(pdf.t(r.header)) + _PAD)
    pdf.set_font("body", "B", size)
    corner = min(pdf.get_string_width(pdf.t(table.corner)), 40.0)  # a short corner ("von → an") stays on one line
    least = max([longest_word(r.header, "B" if r.total else "") for r in table.rows]
                + [longest_word(table.corner, "B"), corner]) + _PAD
    return max(min(natural, 58.0, pdf.width - sum(cols)), least), cols


def _chunks(head: float, cols: list[float], room: float) -> list[list[int]]:
    out: list[list[int]] = [[]]
    used = head
    for i, w in enumerate(cols):
        if out[-1] and used + w > room:
            out.append([])
            used = head
        out[-1].append(i)
        used += w
    return out


def _lines(pdf: ReportPDF, width: float, text: str, line: float) -> int:
    found = pdf.multi_cell(width - _PAD, line, pdf.t(text), dry_run=True, output="LINES")
    return max(1, len(found)) if isinstance(found, list) else 1


def _height(pdf: ReportPDF, table: Table, chunk: list[int], widths: list[float], size: float) -> float:
    """About how tall the table will be: every row as many lines as its header needs."""
    line = size * PT * 1.35
    pdf.set_font("body", "B", size)
    header = max(_lines(pdf, w, t, line) for w, t in zip(widths, [table.corner] + [table.columns[i] for i in chunk],
                                                          strict=True))
    pdf.set_font("body", "", size)
    rows = sum(_lines(pdf, widths[0], r.header, line) for r in table.rows)
    return (header + rows) * line + (len(table.rows) + 1) * 1.6 + 8


def _table(pdf: ReportPDF, report: Report, table: Table) -> None:
    size = 8.0 if len(table.columns) > 4 else 8.5
    head, cols = _widths(pdf, table, size)
    chunks = _chunks(head, cols, pdf.width)
    for n, chunk in enumerate(chunks):
        widths = [head] + [cols[i] for i in chunk]
        spare = pdf.width - sum(widths)
        if spare > 0 and len(chunk) > 2:
            widths = [widths[0]] + [w + min(spare / len(chunk), 12.0) for w in widths[1:]]
        height = _height(pdf, table, chunk, widths, size)
        body = pdf.page_break_trigger - pdf.t_margin
        if pdf.room() < min(height, 40.0) or (height < body * 0.9 and pdf.room() < height):
            pdf.add_page()  # keep a table that fits on one page together, and never start one at the foot
        title = table.title + (f" (Fortsetzung {n + 1} von {len(chunks)})" if n else "")
        pdf.text_block(title, size=9.5, bold=True, after=1)
        pdf.set_font("body", "", size)
        pdf.set_text_color(0)
        heading = FontFace(emphasis="BOLD", fill_color=(225, 225, 225))
        with pdf.table(col_widths=widths, width=min(sum(widths), pdf.epw), align=Align.L, text_align=Align.L,
                       headings_style=heading, line_height=size * PT * 1.35, padding=(0.8, 1.2, 0.8, 1.2),
                       repeat_headings=1) as t:
            row = t.row()
            for title_text in [table.corner] + [table.columns[i] for i in chunk]:
                row.cell(pdf.t(title_text))
            for r in table.rows:
                style = FontFace(emphasis="BOLD") if r.total else None
                row = t.row()
                row.cell(pdf.t(r.header), style=style)
                for i in chunk:
                    cell = r.cells[i]
                    numeric = cell.value is not None or cell.suppressed or cell.text in (NONE, "")
                    row.cell(pdf.t(cell.text), align=Align.R if numeric else Align.L, style=style)
        pdf.ln(1.5)
    if table.note:
        pdf.text_block(table.note, size=7.5, gray=50, after=1)
    marks = table.marks()
    used = [f"„{m}“ {what}" for m, what in report.legend if m in marks]
    if used:
        pdf.text_block("; ".join(used) + ".", size=7.5, gray=50, after=1)
    pdf.ln(3)


def _chart(pdf: ReportPDF, chart: Chart, charts_dir: Path) -> None:
    path = charts_dir / f"{chart.slug}.png"
    with Image.open(path) as im:
        px_w, px_h = im.size
    width = min(pdf.width, px_w / DPI * 25.4)   # never enlarged: its 9-point labels stay 9 points
    height = width * px_h / px_w
    body = pdf.page_break_trigger - pdf.t_margin - 25
    if height > body:
        width, height = width * body / height, body
    if pdf.room() < height + 18:
        pdf.add_page()
    pdf.text_block(chart.title, size=9.5, bold=True, after=1)
    pdf.image(str(path), x=pdf.l_margin, w=width, h=height, alt_text=f"{chart.title}: {chart.caption}")
    pdf.set_y(pdf.get_y() + 1)
    pdf.text_block(chart.caption, size=7.5, gray=50, after=5)


def _section(pdf: ReportPDF, report: Report, section: Section, number: str, charts_dir: Path) -> None:
    pdf.add_page()
    pdf.text_block(f"{number}{section.title}", size=15, bold=True, after=3)
    if section.summary:
        pdf.text_block(" ".join(section.summary), size=10, after=4)
    for block in section.blocks:
        if isinstance(block, Table) and block.in_document:
            _table(pdf, report, block)
        elif isinstance(block, Chart):
            _chart(pdf, block, charts_dir)
        elif isinstance(block, Paragraph):
            pdf.text_block(block.text, after=2.5)


def _front(pdf: ReportPDF, report: Report, contents: Sequence[str]) -> None:
    pdf.add_page()
    pdf.text_block(report.title, size=20, bold=True, after=2)
    pdf.text_block(report.subtitle, size=12, after=8)
    for label, value in report.facts:
        pdf.set_font("body", "B", BODY)
        pdf.set_text_color(0)
        pdf.set_x(pdf.l_margin)
        pdf.cell(28, BODY * PT * 1.45, pdf.t(label))
        pdf.set_font("body", "", BODY)
        pdf.multi_cell(pdf.width - 28, BODY * PT * 1.45, pdf.t(value), align=Align.L, new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
        pdf.ln(1.2)
    pdf.ln(6)
    pdf.text_block("Inhalt", size=11, bold=True, after=1)
    for line in contents:
        pdf.text_block(line, after=0.5)
    pdf.ln(6)
    pdf.text_block("Zeichen in den Tabellen", size=11, bold=True, after=1)
    for m, what in report.legend:
        pdf.text_block(f"„{m}“  {what}", size=8.5, after=0.5)


def render_pdf(report: Report, charts_dir: Path, out: Path) -> None:
    pdf = ReportPDF(report)
    contents = [f"{i}. {s.title}" for i, s in enumerate(report.sections, 1)] + [report.methods.title]
    _front(pdf, report, contents)
    for i, section in enumerate(report.sections, 1):
        _section(pdf, report, section, f"{i}. ", charts_dir)
    _section(pdf, report, report.methods, "", charts_dir)
    pdf.output(str(out))
