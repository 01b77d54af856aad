"""The report as an XLSX workbook (xlsxwriter): one sheet per section.

Numbers are written as numbers (ratios 0..1 with a % format, days with one decimal, counts as integers,
dates as dates); every text cell goes through ``write_string``, so a user value such as
``=HYPERLINK(...)`` stays the literal text and is never a formula. Charts are PNG images (the same
renders as the HTML and PDF). Column widths follow the content (CJK characters count double).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata

import xlsxwriter

from funnel.report.labels import L
from funnel.report.model import ReportData, Section, Table, fmt_value, is_undefined

_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
_NUM_FORMATS = {"int": "#,##0", "num": "#,##0.0", "days": "0.0", "pct": "0.0%", "pp": "+0.0%;-0.0%;0.0%",
                "date": "yyyy-mm-dd"}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


class _Sheet:
    def __init__(self, book: xlsxwriter.Workbook, ws, formats: dict, lang: str):
        self.book, self.ws, self.f, self.lang = book, ws, formats, lang
        self.row = 0
        self.widths: dict[int, int] = {}

    def _track(self, col: int, text: str, cap: int = 60) -> None:
        self.widths[col] = min(cap, max(self.widths.get(col, 8), _width(text) + 2))

    def text(self, row: int, col: int, value: object, fmt=None, track: bool = True) -> None:
        s = "" if value is None else str(value)
        self.ws.write_string(row, col, s, fmt)  # never a formula, whatever the first character
        if track:
            self._track(col, s)

    def value(self, row: int, col: int, value: object, kind: str) -> None:
        if is_undefined(value):
            self.ws.write_string(row, col, "—", self.f["dash"])
            self._track(col, "—")
            return
        if kind in _NUM_FORMATS and kind != "date":
            try:
                number = float(value)
            except (TypeError, ValueError):
                self.text(row, col, value)
                return
            if math.isfinite(number):
                self.ws.write_number(row, col, number, self.f[kind])
                self._track(col, fmt_value(value, kind, self.lang))
                return
        if kind == "date":
            if isinstance(value, dt.datetime):
                self.ws.write_datetime(row, col, value, self.f["date"])
            elif isinstance(value, dt.date):
                self.ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), self.f["date"])
            else:
                self.text(row, col, value)
                return
            self._track(col, "2024-03-01")
            return
        self.text(row, col, value)

    def line(self, text: str, fmt=None) -> None:
        # A long sentence: written in column A, not counted for A's width (it overflows to the right).
        self.text(self.row, 0, text, fmt or self.f["wrap"], track=False)
        self.row += 1

    def table(self, t: Table) -> None:
        self.text(self.row, 0, t.title, self.f["h3"], track=False)
        self.row += 1
        for j, col in enumerate(t.columns):
            self.text(self.row, j, col.header, self.f["th"])
        self.row += 1
        rows = t.all_rows
        for r in rows:
            for j, col in enumerate(t.columns):
                self.value(self.row, j, r.get(col.key), col.kind)
            self.row += 1
        if not rows:
            self.text(self.row, 0, L("none", self.lang), self.f["muted"], track=False)
            self.row += 1
        if t.note and t.full_rows is None:
            self.line(t.note, self.f["muted"])
        self.row += 1

    def image(self, png: bytes, scale: float = 2) -> None:
        width, height = _png_size(png)
        shown = 0.5  # charts are rendered at scale 2
        self.ws.insert_image(self.row, 0, "chart.png", {"image_data": io.BytesIO(png), "x_scale": shown,
                                                         "y_scale": shown, "object_position": 3})
        self.row += int(math.ceil(height * shown / 20.0)) + 1

    def finish(self) -> None:
        for col, width in self.widths.items():
            self.ws.set_column(col, col, width)


def _png_size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _sheet_name(section: Section, used: set[str]) -> str:
    name = _BAD_SHEET.sub(" ", f"{section.number} {section.title}")[:31].strip("'")
    base, i = name, 2
    while name.lower() in used:
        name = f"{base[:28]} {i}"
        i += 1
    used.add(name.lower())
    return name


def write_xlsx(report: ReportData, target) -> None:
    """Write the workbook to ``target`` (a path or a binary file object)."""
    lang = report.lang
    book = xlsxwriter.Workbook(target, {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False, "in_memory": True})
    font = "Microsoft YaHei" if lang == "zh" else "Calibri"
    base = {"font_name": font, "font_size": 10}
    f = {
        "title": book.add_format({**base, "bold": True, "font_size": 16, "font_color": "#2F5D8A"}),
        "h2": book.add_format({**base, "bold": True, "font_size": 13, "font_color": "#2F5D8A"}),
        "h3": book.add_format({**base, "bold": True, "font_size": 11}),
        "th": book.add_format({**base, "bold": True, "bg_color": "#EEF1F5", "bottom": 1, "text_wrap": True,
                               "valign": "top"}),
        "wrap": book.add_format({**base}),
        "muted": book.add_format({**base, "font_color": "#5F6B7A", "italic": True}),
        "dash": book.add_format({**base, "align": "right", "font_color": "#5F6B7A"}),
        "text": book.add_format({**base}),
    }
    for kind, num_format in _NUM_FORMATS.items():
        f[kind] = book.add_format({**base, "num_format": num_format})
    book.formats[0].set_font_name(font)
    book.set_properties({"title": f"{report.title} {report.period.label}", "comments": "Lead Funnel"})
    used: set[str] = set()
    for section in report.sections:
        ws = book.add_worksheet(_sheet_name(section, used))
        sheet = _Sheet(book, ws, f, lang)
        ws.hide_gridlines(2)
        if section.number == 1:
            sheet.line(report.title, f["title"])
            sheet.line(report.subtitle, f["h3"])
            for m in report.meta:
                sheet.line(m, f["muted"])
            sheet.row += 1
        sheet.line(f"{section.number}. {section.title}", f["h2"])
        sheet.row += 1
        if section.kpis:
            headers = [L("c_metric", lang), L("current", lang), L("previous", lang), L("change", lang)]
            for j, h in enumerate(headers):
                sheet.text(sheet.row, j, h, f["th"])
            sheet.row += 1
            for k in section.kpis:
                sheet.text(sheet.row, 0, k.label)
                kind = "int" if k.kind == "amount" else k.kind
                sheet.value(sheet.row, 1, k.value, kind)
                if k.compare:
                    sheet.value(sheet.row, 2, k.previous, kind)
                    sheet.value(sheet.row, 3, k.delta, "pp" if kind == "pct" else kind)
                sheet.row += 1
            sheet.row += 1
        for para in section.paragraphs:
            sheet.line(para)
        if section.actions:
            headers = ["#", L("c_action", lang), L("c_basis", lang)]
            for j, h in enumerate(headers):
                sheet.text(sheet.row, j, h, f["th"])
            sheet.row += 1
            for i, a in enumerate(section.actions, 1):
                ws.write_number(sheet.row, 0, i, f["int"])
                sheet.text(sheet.row, 1, a.text, track=False)
                sheet.text(sheet.row, 2, a.basis, track=False)
                sheet.row += 1
            ws.set_column(0, 0, 4)
            ws.set_column(1, 1, 90, book.add_format({**base, "text_wrap": True, "valign": "top"}))
            ws.set_column(2, 2, 50, book.add_format({**base, "text_wrap": True, "valign": "top"}))
        if section.paragraphs or section.actions:
            sheet.row += 1
        for chart in section.charts:
            sheet.image(chart.png())
        for table in section.tables:
            sheet.table(table)
        if not section.actions:
            sheet.finish()
    book.close()


def xlsx_bytes(report: ReportData) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(report, buffer)
    return buffer.getvalue()


__all__ = ["write_xlsx", "xlsx_bytes"]
