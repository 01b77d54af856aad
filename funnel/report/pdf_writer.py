"""The report as a PDF (fpdf2, A4 portrait) with an embedded CJK font and the charts as PNG images.

The font is the first CJK font ``funnel.charts.find_cjk_fonts`` finds (fpdf2 2.8 reads TrueType
collections such as ``wqy-microhei.ttc`` through ``collection_font_number``); it is embedded as a subset.
With no CJK font installed, ``write_pdf`` raises ``CJKFontMissingError`` saying what to install, instead
of writing a PDF of empty boxes. Text is drawn as plain text (no markdown), so user values cannot
change the layout.
"""

from __future__ import annotations

import io
import unicodedata

from fpdf import FPDF
from fpdf.enums import TextEmphasis, WrapMode
from fpdf.fonts import FontFace

from funnel.charts import CJKFontMissingError, _missing_message, find_cjk_fonts
from funnel.report.labels import L
from funnel.report.model import ReportData, Section, Table, fmt_delta, fmt_value

FONT = "cjk"
ACCENT = (47, 93, 138)
MUTED = (95, 107, 122)
INK = (31, 41, 51)
TILE = (238, 241, 245)
_NUMERIC = ("int", "num", "pct", "days", "pp")
MAX_ROWS = 40  # a table in print shows at most this many rows (the XLSX holds all)


class _PDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 6, f"{self.footer_text}   {self.page_no()}/{{nb}}", align="R")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _font_file():
    fonts = [p for p in find_cjk_fonts() if p.suffix.lower() in (".ttf", ".otf", ".ttc", ".otc")]
    if not fonts:
        raise CJKFontMissingError(_missing_message())
    return fonts[0]


class _Writer:
    def __init__(self, report: ReportData):
        self.r = report
        self.lang = report.lang
        self.wrap = WrapMode.CHAR if self.lang == "zh" else WrapMode.WORD
        pdf = _PDF(orientation="P", unit="mm", format="A4")
        pdf.footer_text = f"{report.title} · {report.period.label}"
        font = _font_file()
        pdf.add_font(FONT, "", str(font), collection_font_number=0)
        pdf.set_auto_page_break(True, margin=16)
        pdf.set_margins(14, 14, 14)
        pdf.set_title(f"{report.title} {report.period.label}")
        pdf.set_creator("Lead Funnel")
        pdf.alias_nb_pages()
        self.pdf = pdf

    @property
    def width(self) -> float:
        return self.pdf.epw

    def para(self, text: str, size: float = 10, color=INK, h: float | None = None, space: float = 1.5) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, size=size)
        pdf.set_text_color(*color)
        pdf.multi_cell(self.width, h or size * 0.5, text, new_x="LMARGIN", new_y="NEXT", wrapmode=self.wrap,
                       align="L")
        pdf.ln(space)

    def heading(self, section: Section) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, size=15)
        pdf.set_text_color(*ACCENT)
        pdf.cell(self.width, 9, f"{section.number}  {section.title}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(0.4)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + self.width, pdf.get_y())
        pdf.ln(3)

    def title_block(self) -> None:
        r = self.r
        self.para(r.title, size=20, color=ACCENT, h=10, space=1)
        self.para(r.subtitle, size=11.5, h=6.5)
        for m in r.meta:
            self.para(m, size=9, color=MUTED, h=4.8, space=0.5)
        self.pdf.ln(3)

    def kpis(self, section: Section) -> None:
        lang = self.lang
        rows = [[L("c_metric", lang), L("current", lang), L("previous", lang), L("change", lang)]]
        for k in section.kpis:
            rows.append([k.label, fmt_value(k.value, "int" if k.kind == "amount" else k.kind, lang),
                         fmt_value(k.previous, "int" if k.kind == "amount" else k.kind, lang) if k.compare else "",
                         fmt_delta(k, lang) if k.compare else ""])
        self._grid(rows, [0.46, 0.18, 0.18, 0.18], ["L", "R", "R", "R"], size=10.5)

    def _grid(self, rows: list[list[str]], fractions: list[float], aligns: list[str], size: float = 8.5) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, size=size)
        pdf.set_text_color(*INK)
        pdf.set_draw_color(217, 222, 229)
        pdf.set_line_width(0.2)
        widths = [self.width * f for f in fractions]
        style = FontFace(emphasis=TextEmphasis.NONE, color=INK, fill_color=TILE)
        with pdf.table(col_widths=widths, width=self.width, text_align=aligns, headings_style=style,
                       line_height=size * 0.52, wrapmode=self.wrap, borders_layout="HORIZONTAL_LINES",
                       padding=(1.2, 1.5, 1.2, 1.5), align="LEFT") as table:
            for row in rows:
                tr = table.row()
                for cell in row:
                    tr.cell(cell)
        pdf.ln(3)

    def table(self, t: Table) -> None:
        lang = self.lang
        # A short table is kept on one page with its title (about 6 mm per row at 8.5 pt).
        needed = 14 + 6.2 * min(len(t.rows), MAX_ROWS)
        if len(t.rows) <= 15 and self.pdf.get_y() + needed > self.pdf.page_break_trigger:
            self.pdf.add_page()
        self.para(t.title, size=11, color=INK, h=6, space=0.5)
        rows = [[c.header for c in t.columns]]
        shown = t.rows[:MAX_ROWS]
        for r in shown:
            rows.append([fmt_value(r.get(c.key), c.kind, lang) for c in t.columns])
        if len(rows) == 1:
            self.para(L("none", lang), size=9, color=MUTED)
            return
        # Column widths: proportional to content length, text columns get more room.
        # Display width (a CJK character counts 2); a header may wrap onto two lines, values should not.
        weights = []
        for j, c in enumerate(t.columns):
            longest = max((_width(str(row[j])) for row in rows[1:]), default=0)
            head = _width(rows[0][j])
            weights.append(min(max(longest, (head + 1) // 2, head if head <= 8 else 0, 4), 36) + 2)
        total = sum(weights)
        aligns = ["R" if c.kind in _NUMERIC else "L" for c in t.columns]
        self._grid(rows, [w / total for w in weights], aligns)
        total_rows = len(t.all_rows)
        if total_rows > len(shown):
            self.para(L("list_cut", lang, shown=len(shown), total=total_rows), size=8.5, color=MUTED)
        elif t.note:
            self.para(t.note, size=8.5, color=MUTED)

    def chart(self, png: bytes, caption: str | None) -> None:
        pdf = self.pdf
        px_w, px_h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        # Charts are rendered at scale 2; show them at ~0.22 mm per CSS pixel, never wider than the page.
        w = min(self.width, px_w / 2 * 0.24)
        h = w * px_h / px_w
        if pdf.get_y() + h > pdf.page_break_trigger:
            pdf.add_page()
        pdf.image(io.BytesIO(png), x=pdf.l_margin, w=w, h=h)
        pdf.ln(1)
        if caption:
            self.para(caption, size=8.5, color=MUTED)
        pdf.ln(2)

    def section(self, s: Section) -> None:
        pdf = self.pdf
        pdf.add_page()
        if s.number == 1:
            self.title_block()
        self.heading(s)
        if s.kpis:
            self.kpis(s)
        for p in s.paragraphs:
            self.para(p, size=10, h=5.4)
        for i, a in enumerate(s.actions, 1):
            self.para(f"{i}. {a.text}", size=10.5, h=5.8, space=0.5)
            self.para(f"   {L('fig_ref', self.lang)}:{a.basis}", size=8.5, color=MUTED, h=4.6, space=3)
        for c in s.charts:
            self.chart(c.png(), c.caption)
        for t in s.tables:
            self.table(t)

    def render(self) -> bytes:
        for s in self.r.sections:
            self.section(s)
        return bytes(self.pdf.output())


def pdf_bytes(report: ReportData) -> bytes:
    """The report as PDF bytes. Raises CJKFontMissingError when no CJK font is installed."""
    return _Writer(report).render()


def write_pdf(report: ReportData, target) -> None:
    data = pdf_bytes(report)
    if hasattr(target, "write"):
        target.write(data)
    else:
        with open(target, "wb") as fh:
            fh.write(data)
