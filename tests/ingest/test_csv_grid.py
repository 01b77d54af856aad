"""The CSV grid read by Arrow equals the one pandas' C parser (or the csv module) reads (issue 16).

``decode.csv_grid`` reads with Arrow's CSV reader and keeps the cells Arrow-backed; files Arrow refuses
(rows of differing length) go through pandas. Where Arrow accepts a file, every cell must be the string
pandas gives: quotes doubled or stray, separators and line breaks inside quotes, blank lines, spaces,
CJK text, the four separators.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel.ingest.batch import ImportError_
from funnel.ingest.decode import (SEPARATORS, arrow_grid, csv_grid, csv_grid_utf8, decode_text, head_text,
                                  pandas_grid, sniff_separator, utf8_bytes)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_PIECES = ["", " ", "a", "线索", "2024-03-01", '"', '""', ",", ";", "\t", "|", "\n", "\r\n", "\r", "x y", "-",
           "　", "é", "01-05电话沟通,客户反馈积极", "*", "1,234.5"]


@st.composite
def csv_texts(draw):
    sep = draw(st.sampled_from(SEPARATORS))
    width = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(st.lists(st.sampled_from(_PIECES), max_size=3).map("".join),
                                  min_size=width, max_size=width), min_size=1, max_size=6))
    how = draw(st.sampled_from(["minimal", "all", "raw"]))
    if how == "raw":  # written by hand: stray quotes and separators as they come
        line_end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        text = line_end.join(sep.join(r) for r in rows)
        if draw(st.booleans()):
            text += line_end
    else:
        out = io.StringIO(newline="")
        writer = csv.writer(out, delimiter=sep, quoting=csv.QUOTE_ALL if how == "all" else csv.QUOTE_MINIMAL,
                            lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
        writer.writerows(rows)
        text = out.getvalue()
    if draw(st.booleans()):  # blank lines between records
        text = text.replace("\n", "\n\n", 1)
    return text, sep


def _cells(grid) -> list[list[str]]:
    return [[str(v) for v in row] for row in grid.itertuples(index=False)]


@given(csv_texts())
@FAST
def test_arrow_grid_equals_pandas(case):
    text, sep = case
    if not text.strip():
        return  # csv_grid: an empty file, read by neither
    data = text.encode("utf-8")
    arrow = arrow_grid(data, sep)
    if arrow is None:
        return  # refused: csv_grid reads the file with pandas
    try:
        expected = pandas_grid(text, data, sep)
    except Exception:  # noqa: BLE001 - a file neither reader takes is not this test's question
        return
    assert _cells(arrow) == _cells(expected)


def test_csv_grid_keeps_text_in_arrow():
    grid = csv_grid("线索编号,来源渠道\nA1,展会\n\nA2,\n", ",")
    assert [str(t) for t in grid.dtypes] == ["str", "str"]
    assert _cells(grid) == [["线索编号", "来源渠道"], ["A1", "展会"], ["", ""], ["A2", ""]]


def test_csv_grid_pads_short_rows_through_pandas():
    grid = csv_grid("a,b,c\n1\n2,3\n", ",")
    assert _cells(grid) == [["a", "b", "c"], ["1", "", ""], ["2", "3", ""]]


# ---- UTF-8 kept as bytes (issue 16, fourth session): the same grid, separator and encoding as decoding ----

_ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16"]


@given(csv_texts(), st.sampled_from(_ENCODINGS), st.sampled_from(["", "\x00", "　\n ", "\udcff"]))
@FAST
def test_utf8_bytes_read_like_the_decoded_text(case, encoding, oddity):
    """``utf8_bytes`` + ``head_text`` + ``csv_grid_utf8`` (parse_file's way) give what ``decode_text`` +
    ``sniff_separator`` + ``csv_grid`` give: same encoding name, separator and cells, same error."""
    text, _sep = case
    if oddity == "\udcff":  # a byte that is not UTF-8 (nor, at the start, anything else)
        data = b"\xff\xfe\xfd" + text.encode("utf-8") if encoding == "utf-8" else text.encode(encoding)
    else:
        data = (oddity + text).encode(encoding)
    try:
        expected_text, expected_encoding = decode_text(data, "f.csv")
    except ImportError_ as err:
        with pytest.raises(ImportError_) as raised:
            utf8_bytes(data, "f.csv")
        assert str(raised.value) == str(err)
        return
    got, got_encoding = utf8_bytes(data, "f.csv")
    assert got_encoding == expected_encoding
    assert bytes(got) == expected_text.encode("utf-8")
    sep = sniff_separator(expected_text)
    assert sniff_separator(head_text(got, start_bytes=8)) == sep
    assert _cells(csv_grid_utf8(got, sep)) == _cells(csv_grid(expected_text, sep))


def test_head_text_holds_the_first_lines():
    text = "".join(f"线索{i},展会\r\n" for i in range(100))
    data = text.encode("utf-8")
    for start in (1, 7, 64, 10**6):
        assert head_text(data, 30, start).splitlines()[:30] == text.splitlines()[:30]


def test_a_file_of_ideographic_spaces_is_empty():
    assert csv_grid_utf8("　 \n　".encode("utf-8"), ",").empty
    assert not csv_grid_utf8(("　" * 3000 + "a").encode("utf-8"), ",").empty


@given(csv_texts(), st.sampled_from(_ENCODINGS), st.sampled_from(["", "\x00", "　\n ", "\udcff"]),
       st.sampled_from([8, 64 * 1024]), st.booleans())
@FAST
def test_read_csv_grid_reads_like_the_decoded_text(case, encoding, oddity, head_bytes, late_bad_byte):
    """``read_csv_grid`` (the import's way: only the file's start checked before Arrow reads it) gives what
    ``decode_text`` + ``sniff_separator`` + ``csv_grid`` give: same encoding name, separator and cells, same error,
    also where a byte that is not UTF-8 comes after the start it checked (``head_bytes`` 8: most of the file)."""
    from funnel.ingest import decode

    text, _sep = case
    if oddity == "\udcff":  # a byte that is not UTF-8 (nor, at the start, anything else)
        data = b"\xff\xfe\xfd" + text.encode("utf-8") if encoding == "utf-8" else text.encode(encoding)
    else:
        data = (oddity + text).encode(encoding)
    if late_bad_byte and encoding == "utf-8":
        data += b"x,\xb2\xe2\n"  # 测 in GB18030 (which reads an ASCII file with it); not UTF-8
    try:
        expected_text, expected_encoding = decode_text(data, "f.csv")
    except ImportError_ as err:
        with pytest.raises(ImportError_) as raised:
            decode.read_csv_grid(data, "f.csv")
        assert str(raised.value) == str(err)
        return
    original = decode._HEAD_BYTES
    decode._HEAD_BYTES = head_bytes
    try:
        grid, got_encoding, sep = decode.read_csv_grid(data, "f.csv")
    finally:
        decode._HEAD_BYTES = original
    assert got_encoding == expected_encoding
    assert sep == sniff_separator(expected_text)
    assert _cells(grid) == _cells(csv_grid(expected_text, sep))
