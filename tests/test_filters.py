"""The filter-dimension registry: one entry per dimension, and every reader agrees with it."""

from __future__ import annotations

import dataclasses
import datetime as dt

from funnel import i18n
from funnel.access import restrict_filter
from funnel.cli import _filter, build_parser
from funnel.filters import ACCESS_DIMENSION, BOARD_DIMENSIONS, DIMENSIONS, FunnelFilter
from funnel.metrics.leaderboard import BOARDS
from funnel.store.db import connect
from funnel.ui_state import VIEW_PARAMS, filter_to_query_params, parse_query_params


def test_every_filter_field_is_a_dimension_and_back():
    fields = {f.name for f in dataclasses.fields(FunnelFilter)} - {"date_from", "date_to"}
    assert fields == {d.field for d in DIMENSIONS}
    for attr in ("column", "field", "param", "flag"):
        assert len({getattr(d, attr) for d in DIMENSIONS}) == len(DIMENSIONS), attr
    assert sorted(d.board_rank for d in DIMENSIONS) == list(range(1, len(DIMENSIONS) + 1))


def test_every_dimension_has_its_labels_and_a_lead_facts_column():
    for d in DIMENSIONS:
        for key in (d.label_key, d.tab_key, d.column_key):
            assert key in i18n.LABELS, key
    con = connect(None)
    columns = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                         "where table_name = 'lead_facts'").fetchall()}
    assert {d.column for d in DIMENSIONS} <= columns


def test_url_cli_access_and_boards_read_the_registry():
    flt = FunnelFilter.of(dt.date(2024, 3, 1), None, {d.field: (f"{d.column}-a", f"{d.column}-b")
                                                      for d in DIMENSIONS})
    params = filter_to_query_params(flt)
    assert {d.param for d in DIMENSIONS} <= set(params) <= set(VIEW_PARAMS)
    assert parse_query_params(params).filter == flt
    argv = ["metrics"] + [arg for d in DIMENSIONS for v in flt.values(d) for arg in (d.flag, v)]
    assert _filter(build_parser().parse_args(argv), dt.date(2024, 3, 1)) == flt
    assert restrict_filter(flt, frozenset({"rep-b"})).values(ACCESS_DIMENSION) == ("rep-b",)
    assert BOARDS == tuple(d.column for d in BOARD_DIMENSIONS) == ("rep", "manager", "team", "source")
    echo = flt.as_json()
    assert all(echo[d.field] == list(flt.values(d)) for d in DIMENSIONS)


def test_an_empty_filter_says_all_leads_in_both_languages():
    # Nothing narrowed: the sentence under every page, the review intro and the report scope must not read
    # "Filter: leads" / 筛选：线索 (it was taken for a filter on something).
    empty = FunnelFilter()
    assert empty.describe("en") == "all leads"
    assert empty.describe("zh") == "全部线索"
    assert empty.as_json()["description_en"] == "all leads"
    # anything narrowed keeps the sentence that names it
    narrowed = FunnelFilter.of(dt.date(2024, 3, 1), dt.date(2024, 3, 31), {"sources": ["行业展会"]})
    assert narrowed.describe("en").startswith("leads acquired 2024-03-01 – 2024-03-31")
    assert "行业展会" in narrowed.describe("zh") and narrowed.describe("zh").startswith("线索，")
