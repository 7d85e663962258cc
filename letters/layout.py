"""A letter's pages: header with QR code and code, then rows of columns (time and room | client's language | German).

Every row is measured before it is placed: a row that does not fit goes to the next page (with a short header,
the column labels and, inside a day, that day's heading again), so nothing runs off a page or overlaps. For a
right-to-left language the whole page is mirrored: its column, the time and the QR code sit on the right.
A list item's bullet is set apart from its text, in a gutter at its column's starting edge (the right one in a
right-to-left column), and the item's lines hang beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ui_common.languages import Script, script_of_text

from .content import Letter, StopEntry
from .pdf_kit import LetterPDF, Style

PAGE_W, PAGE_H = 210.0, 297.0
MARGIN, TOP, BOTTOM = 15.0, 12.0, 10.0
FOOTER_H = 12.0
CONTENT_BOTTOM = PAGE_H - BOTTOM - FOOTER_H - 2.0
NEUTRAL_W, GAP = 20.0, 5.0
QR_MM = 40.0            # the symbol without its quiet zone: about 1.9 mm modules for a version-1 code
QUIET_MM = 8.0          # four modules of white around the symbol
CODE_PT = 30.0
CODE_GAP = 6.0          # QR code to the code's line: with the line's own space, about four modules

SITE = Style(9, bold=True, gray=70)
TITLE = Style(20, bold=True, leading=1.3)
TITLE_2 = Style(13, bold=True, gray=60, leading=1.35)
INTRO = Style(10.5)
INTRO_2 = Style(9.5, gray=60)
LABEL = Style(8, bold=True, gray=110)
DAY = Style(11, bold=True)
TIME = Style(15, bold=True, leading=1.3)
ROOM_NO = Style(11, bold=True)
AGENCY = Style(10.5, bold=True)
BODY = Style(10)
DIRECTIONS = Style(9, gray=70)
HEADING = Style(11, bold=True)
FOOT = Style(8, gray=100)
BULLET = "\u2022"      # the marker of the list of documents to bring


@dataclass
class Cell:
    paras: list[tuple[str, Style]] = field(default_factory=list)
    gap: float = 0.6     # between paragraphs
    marker: str = ""     # a list item: this marker hangs in a gutter at the column's starting edge


@dataclass
class Row:
    cells: list[Cell]    # the time column, then one per language of the letter
    band: bool = False   # a shaded day heading
    rule: bool = False   # a thin line above
    pad: float = 1.5     # above; below a little more, for the descenders of the last line
    keep_with_next: bool = False


def _row(neutral: list[tuple[str, Style]], per_lang: list[list[tuple[str, Style]]], *, band: bool = False,
         rule: bool = False, pad: float = 1.5, keep_with_next: bool = False) -> Row:
    return Row([Cell(neutral), *(Cell(p) for p in per_lang)], band=band, rule=rule, pad=pad,
               keep_with_next=keep_with_next)


def _stop_row(stop: StopEntry, first: bool) -> Row:
    neutral = [(stop.time, TIME), *((r, ROOM_NO) for r in stop.rooms)]
    sides = [[(s.agency, AGENCY), (s.service, BODY), *((r, BODY) for r in s.rooms),
              *((d, DIRECTIONS) for d in s.directions)] for s in stop.sides]
    return _row(neutral, sides, rule=not first)


class _Composer:
    def __init__(self, letter: Letter):
        self.letter = letter
        scripts: set[Script] = {script_of_text(t) for t in _all_texts(letter)}
        self.pdf = LetterPDF(scripts)
        self.mirror = letter.rtl[0]
        inner = PAGE_W - 2 * MARGIN
        n = len(letter.langs)
        lang_w = (inner - NEUTRAL_W - n * GAP) / n
        spans = [(MARGIN, NEUTRAL_W)]
        for i in range(n):
            spans.append((MARGIN + NEUTRAL_W + GAP + i * (lang_w + GAP), lang_w))
        self.columns = [self._x(x, w) for x, w in spans]
        self.rtl = [self.mirror, *letter.rtl]   # the time column follows the page's direction
        self.y = TOP
        self._fresh = True   # nothing placed on this page yet below its header

    def _x(self, x: float, w: float) -> tuple[float, float]:
        """An LTR position, mirrored for a right-to-left page."""
        return (PAGE_W - x - w, w) if self.mirror else (x, w)

    # -- measuring and placing rows ---------------------------------------------------------------------

    def _text_box(self, cell: Cell, col: int) -> tuple[float, float]:
        """Where a cell's paragraphs go: the column, less a list item's gutter at its starting edge (the left
        edge of a left-to-right column, the right edge of a right-to-left one)."""
        x, w = self.columns[col]
        if not cell.marker or not cell.paras:
            return x, w
        gutter = self.pdf.marker_width(cell.marker, cell.paras[0][1])
        return (x, w - gutter) if self.rtl[col] else (x + gutter, w - gutter)

    def _cell_height(self, cell: Cell, col: int) -> float:
        _, w = self._text_box(cell, col)
        heights = [self.pdf.measure(w, t, s, self.rtl[col]) for t, s in cell.paras if t]
        return sum(heights) + cell.gap * max(0, len(heights) - 1)

    def height(self, row: Row) -> float:
        return max(self._cell_height(c, i) for i, c in enumerate(row.cells)) + 2 * row.pad + 0.5

    def draw(self, row: Row) -> None:
        h = self.height(row)
        if row.band:
            self.pdf.band(MARGIN, self.y, PAGE_W - 2 * MARGIN, h)
        if row.rule and not self._fresh:   # a fresh page has its line under the column labels already
            self.pdf.rule(MARGIN, self.y, PAGE_W - 2 * MARGIN, gray=200)
        for col, cell in enumerate(row.cells):   # every cell of a row starts at the row's top
            x, w = self._text_box(cell, col)
            y = self.y + row.pad
            if cell.marker and cell.paras and cell.paras[0][0]:
                col_x, col_w = self.columns[col]
                gutter_x = x + w if self.rtl[col] else col_x
                self.pdf.marker(gutter_x, y, col_w - w, cell.marker, *cell.paras[0], self.rtl[col])
            for text, style in cell.paras:
                if text:
                    y += self.pdf.paragraph(x, y, w, text, style, self.rtl[col]) + cell.gap
        self.y += h

    def place(self, rows: list[Row], heading: Row | None = None) -> None:
        """Rows one below the other, a new page for a row that does not fit (with ``heading`` again on it)."""
        for i, row in enumerate(rows):
            need = self.height(row)
            if row.keep_with_next and i + 1 < len(rows):
                need += self.height(rows[i + 1])
            if self.y + need > CONTENT_BOTTOM and not self._fresh:
                self.continuation_page()
                if heading is not None and row is not heading:
                    self.draw(heading)
            self.draw(row)
            self._fresh = False

    # -- pages --------------------------------------------------------------------------------------------

    def first_page(self) -> None:
        pdf, letter = self.pdf, self.letter
        pdf.add_page()
        code_w = pdf.code_width(letter.code, CODE_PT)
        block_w = max(QR_MM, code_w)
        block_x, _ = self._x(PAGE_W - MARGIN - block_w, block_w)
        pdf.qr(block_x + (block_w - QR_MM) / 2, TOP, QR_MM, letter.qr_text)
        code_h = pdf.code(block_x, TOP + QR_MM + CODE_GAP, block_w, letter.code, CODE_PT)
        qr_bottom = TOP + QR_MM + CODE_GAP + code_h
        text_x, text_w = self._x(MARGIN, PAGE_W - 2 * MARGIN - block_w - QUIET_MM)
        y = TOP
        y += pdf.paragraph(text_x, y, text_w, letter.site_name, SITE, False) + 3
        for i, title in enumerate(letter.title):
            y += pdf.paragraph(text_x, y, text_w, title, TITLE if i == 0 else TITLE_2, letter.rtl[i])
        y += 3
        for i, intro in enumerate(letter.intro):
            y += pdf.paragraph(text_x, y, text_w, intro, INTRO if i == 0 else INTRO_2, letter.rtl[i]) + 1.5
        self.y = max(y, qr_bottom) + 4
        self._labels()

    def continuation_page(self) -> None:
        pdf, letter = self.pdf, self.letter
        pdf.add_page()
        code_size = 16.0
        code_w = pdf.code_width(letter.code, code_size) + 2
        code_x, _ = self._x(PAGE_W - MARGIN - code_w, code_w)
        code_h = pdf.code(code_x, TOP, code_w, letter.code, code_size)
        text_x, text_w = self._x(MARGIN, PAGE_W - 2 * MARGIN - code_w - 5)
        y = TOP
        for i, title in enumerate(letter.title):  # both at the page's starting edge
            y += pdf.paragraph(text_x, y, text_w, title, TITLE_2 if i else HEADING, self.mirror)
        self.y = max(y, TOP + code_h) + 3
        self._labels()

    def _labels(self) -> None:
        """The languages named above their columns, and a line under them."""
        if self.letter.bilingual:
            self.draw(_row([], [[(label, LABEL)] for label in self.letter.column_labels], pad=0.5))
        self.pdf.rule(MARGIN, self.y, PAGE_W - 2 * MARGIN, gray=120, thickness=0.35)
        self.y += 1
        self._fresh = True

    def footers(self) -> None:
        pdf, letter = self.pdf, self.letter
        pages = pdf.pages_count
        for page in range(1, pages + 1):
            pdf.page = page
            self.y = PAGE_H - BOTTOM - FOOTER_H
            pdf.rule(MARGIN, self.y, PAGE_W - 2 * MARGIN, gray=170)
            self.y += 0.5
            per_lang = [[(issued, FOOT)] + ([(t.page(page, pages), FOOT)] if pages > 1 else [])
                        for issued, t in zip(letter.issued, letter.page_labels, strict=True)]
            self.draw(_row([(letter.code, FOOT)], per_lang, pad=1.0))

    # -- the letter ---------------------------------------------------------------------------------------

    def compose(self) -> None:
        letter = self.letter
        self.first_page()
        for day in letter.days:
            day_row = _row([], [[(h, DAY)] for h in day.heading], band=True, pad=1.6, keep_with_next=True)
            self.place([day_row, *(_stop_row(s, i == 0) for i, s in enumerate(day.stops))], day_row)
        if letter.notes:  # one row: the notes are short, stay together and come before the checklist
            cells = [Cell([(t, BODY) for t in lang], gap=1.8) for lang in zip(*letter.notes, strict=True)]
            self.place([Row([Cell(), *cells], rule=True, pad=1.8)])
        if letter.documents:
            heading = _row([], [[(h, HEADING)] for h in letter.bring_heading], rule=True, keep_with_next=True,
                           pad=1.8)
            # one row per document, so its name in each language starts at the same height however the
            # German one wraps; the bullet hangs at each column's starting edge (on the right in Arabic script)
            items = [Row([Cell(), *(Cell([(name, BODY)], marker=BULLET) for name in doc)], pad=0.4)
                     for doc in letter.documents]
            self.place([heading, *items], heading)
        self.footers()


def _all_texts(letter: Letter) -> list[str]:
    out = [*letter.column_labels, *letter.title, *letter.intro, *letter.issued]
    for day in letter.days:
        out.extend(day.heading)
        for stop in day.stops:
            for side in stop.sides:
                out.extend((side.agency, side.service, *side.rooms, *side.directions))
    for texts in (*letter.documents, *letter.notes):
        out.extend(texts)
    return out


def render(letter: Letter, issued: datetime) -> LetterPDF:
    """The letter laid out on one or more A4 pages."""
    composer = _Composer(letter)
    pdf = composer.pdf
    pdf.set_title(f"{letter.title[-1]} {letter.code}")
    pdf.set_author(letter.site_name)
    pdf.set_lang(letter.langs[0])
    pdf.set_creation_date(issued)   # the same letter twice gives the same bytes
    composer.compose()
    return pdf
