"""Tables as downloadable files: CSV (UTF-8 with BOM, formula-safe) and XLSX (strings stay strings).

Pure: a DataFrame in, bytes out. Used by the dashboard pages and the report.

Formula safety follows OWASP "CSV injection": a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return is written with a leading ``'`` so a spreadsheet shows it as text instead of running
it. Numbers are left alone (``-5`` stays the number -5). In XLSX every text cell is written with
``write_string``, so ``=HYPERLINK(...)`` typed by a user arrives as text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
import io
import math

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def formula_safe(value: object) -> object:
    """A text cell made safe for a spreadsheet (prefixed with ``'`` when it could start a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.columns = [str(formula_safe(str(c))) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(formula_safe)
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """The table as CSV: UTF-8 with a BOM (so Excel reads Chinese), comma separated, no index.

    Missing values are empty cells (never ``NaN`` / ``None``).
    """
    text = _safe_frame(df).to_csv(index=False, na_rep="", lineterminator="\r\n")
    return (BOM + text).encode("utf-8")


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "data") -> bytes:
    """The table as an XLSX workbook with one sheet; text written as text, numbers as numbers, dates as dates."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False})
    # Sheet names: max 31 characters, no []:*?/\
    name = "".join(ch for ch in str(sheet_name) if ch not in "[]:*?/\\")[:31] or "data"
    sheet = workbook.add_worksheet(name)
    header_fmt = workbook.add_format({"bold": True})
    date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
    datetime_fmt = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for col, column in enumerate(df.columns):
        sheet.write_string(0, col, str(column), header_fmt)
        width = max([len(str(column))] + [len(str(v)) for v in df[column].head(200).tolist()]) + 2
        sheet.set_column(col, col, min(max(width, 8), 60))
    for row_idx, row in enumerate(df.itertuples(index=False), start=1):
        for col, value in enumerate(row):
            if _is_missing(value):
                sheet.write_blank(row_idx, col, None)
            elif isinstance(value, bool):
                sheet.write_boolean(row_idx, col, value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(row_idx, col, float(value))
            elif isinstance(value, pd.Timestamp):
                sheet.write_datetime(row_idx, col, value.to_pydatetime().replace(tzinfo=None), datetime_fmt)
            elif isinstance(value, dt.datetime):
                sheet.write_datetime(row_idx, col, value.replace(tzinfo=None), datetime_fmt)
            elif isinstance(value, dt.date):
                sheet.write_datetime(row_idx, col, dt.datetime.combine(value, dt.time()), date_fmt)
            elif hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
                try:
                    sheet.write_number(row_idx, col, float(value.item()))
                except (TypeError, ValueError):
                    sheet.write_string(row_idx, col, str(value))
            elif isinstance(value, (list, tuple)):
                sheet.write_string(row_idx, col, ", ".join(str(v) for v in value))
            else:
                sheet.write_string(row_idx, col, str(value))
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
