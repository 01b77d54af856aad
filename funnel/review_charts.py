"""Altair charts of the review (SPEC §7.6), in the style of ``funnel.charts`` (pure builders, small frames).

- ``bridge_waterfall(b, lang, measure="count")``: open at start, + new, − won, − lost, = open at end.
- ``movement_heat_table(b, stage_names, lang)``: the stage movement matrix as a heat table (rows from,
  columns to, a cell's colour and number its leads).
- ``attribution_bars(a, stage_names, lang)``: one signed bar per factor of the change in wins.
- ``mix_rate_bars(mix, lang, segment_by)``: mix and rate term per segment of one dimension, signed.

Each takes the dict / list of ``funnel.metrics`` (a handful of rows) and never reads a database or the
clock. Export with ``funnel.charts.chart_to_png`` / ``chart_to_svg``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from funnel.charts import PALETTE, _configure
from funnel.i18n import LABELS, t


def word(key: str, lang: str) -> str:
    """A review chart word: the ``chart.rv_`` keys of ``funnel.i18n`` (an unknown key is returned as is)."""
    return t(f"chart.rv_{key}", lang) if f"chart.rv_{key}" in LABELS else key


def bridge_steps(b: dict, measure: str = "count") -> list[dict]:
    """The waterfall's five bars: key, value (signed), start, end (running level), kind (total / up / down)."""
    get = (lambda k: float(b["amount"][k])) if measure == "amount" else (lambda k: float(b[k]))
    o_s, new, won, lost = get("open_start"), get("new"), get("won"), get("lost")
    steps = [("open_start", o_s, 0.0, o_s, "total"), ("new", new, o_s, o_s + new, "up"),
             ("won", -won, o_s + new, o_s + new - won, "down"),
             ("lost", -lost, o_s + new - won, o_s + new - won - lost, "down"),
             ("open_end", get("open_end"), 0.0, get("open_end"), "total")]
    return [{"key": k, "value": v, "start": s, "end": e, "kind": kind} for k, v, s, e, kind in steps]


def bridge_waterfall(b: dict, lang: str = "zh", measure: str = "count", title: str | None = None):
    """Waterfall of the period bridge; ``measure`` "count" (leads) or "amount" (Σ amount)."""
    df = pd.DataFrame(bridge_steps(b, measure))
    df["_name"] = [word(k, lang) for k in df["key"]]
    df["_low"] = df[["start", "end"]].min(axis=1)
    df["_high"] = df[["start", "end"]].max(axis=1)
    fmt = ",.0f"
    df["_label"] = [(f"{v:+,.0f}" if kind != "total" else f"{v:,.0f}") for v, kind in zip(df["value"], df["kind"])]
    order = list(df["_name"])
    color = alt.Color("kind:N", legend=None, scale=alt.Scale(domain=["total", "up", "down"],
                                                            range=[PALETTE["bar"], PALETTE["good"], PALETTE["accent"]]))
    x = alt.X("_name:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelLimit=140))
    y_title = word("amount" if measure == "amount" else "leads", lang)
    base = alt.Chart(df)
    bars = base.mark_bar(size=46).encode(
        x=x, y=alt.Y("_low:Q", title=y_title, axis=alt.Axis(format=",.0f")),
        y2="_high:Q", color=color,
        tooltip=[alt.Tooltip("_name:N", title=word("term", lang)), alt.Tooltip("value:Q", format=fmt)])
    text = base.mark_text(dy=-8, fontSize=12).encode(x=x, y="_high:Q", text="_label:N")
    chart = alt.layer(bars, text).properties(title=title or word("bridge", lang), width=460, height=260)
    return _configure(chart, lang)


def movement_frame(b: dict, stage_names: dict[str, str], lang: str = "zh") -> pd.DataFrame:
    """The matrix cells with display names and the order of rows / columns: _from, _to, leads, _fi, _ti."""
    keys = list(stage_names)
    rows = []
    for cell in b.get("matrix", []):
        fk, tk = cell.get("from_kind", "stage"), cell.get("to_kind", "stage")
        f_name = stage_names.get(cell["from"], cell["from"]) if fk == "stage" else word("new", lang)
        t_name = stage_names.get(cell["to"], cell["to"]) if tk == "stage" else word(tk, lang)
        fi = keys.index(cell["from"]) if fk == "stage" and cell["from"] in keys else len(keys)
        ti = keys.index(cell["to"]) if tk == "stage" and cell["to"] in keys else len(keys) + (tk == "lost")
        rows.append({"_from": f_name, "_to": t_name, "leads": int(cell["leads"]), "_fi": fi, "_ti": ti})
    return pd.DataFrame(rows, columns=["_from", "_to", "leads", "_fi", "_ti"])


def movement_heat_table(b: dict, stage_names: dict[str, str], lang: str = "zh", title: str | None = None):
    """Heat table of the movement matrix: rows = stage at start (then new), columns = stage at end (then won,
    lost); each cell coloured and labelled by its leads. Empty cells are left blank."""
    df = movement_frame(b, stage_names, lang)
    rows = list(df.sort_values("_fi")["_from"].drop_duplicates())
    cols = list(df.sort_values("_ti")["_to"].drop_duplicates())
    top = float(df["leads"].max()) if len(df) else 1.0
    df["_dark"] = df["leads"] > top * 0.55
    base = alt.Chart(df).encode(
        x=alt.X("_to:N", sort=cols, title=word("to", lang), axis=alt.Axis(orient="top", labelAngle=0,
                                                                        labelLimit=180)),
        y=alt.Y("_from:N", sort=rows, title=word("from", lang), axis=alt.Axis(labelLimit=160, labelOverlap=False)))
    rect = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("leads:Q", legend=None, scale=alt.Scale(scheme="blues", domainMin=0)),
        tooltip=[alt.Tooltip("_from:N", title=word("from", lang)), alt.Tooltip("_to:N", title=word("to", lang)),
                 alt.Tooltip("leads:Q", title=word("leads", lang), format=",")])
    text = base.mark_text(fontSize=13).encode(
        text=alt.Text("leads:Q", format=","),
        color=alt.condition("datum._dark", alt.value("white"), alt.value("#222")))
    chart = alt.layer(rect, text).properties(title=title or word("movement", lang),
                                             width=max(300, 92 * len(cols)), height=max(140, 52 * len(rows)))
    return _configure(chart, lang)


def as_heading(text: str) -> str:
    """A chart or table label starts with a capital ('volume' -> 'Volume'); Chinese is unchanged. The catalog
    keeps the lower-case word because the sentences use it mid-sentence."""
    return text[:1].upper() + text[1:]


def factor_label(factor: dict, stage_names: dict[str, str], lang: str, heading: bool = True) -> str:
    """'线索量' / 'Volume' for N ('volume' with ``heading=False``, inside a sentence), '初步筛选→需求深度挖掘'
    for the step into a stage."""
    if factor["factor"] == "leads":
        return as_heading(word("volume", lang)) if heading else word("volume", lang)
    frm = stage_names.get(factor.get("from_stage") or "", factor.get("from_stage") or "?")
    return f"{frm}→{stage_names.get(factor['factor'], factor['factor'])}"


def attribution_bars(a: dict, stage_names: dict[str, str], lang: str = "zh", title: str | None = None):
    """One horizontal bar per factor, signed (green up, red down), labelled with its contribution."""
    df = pd.DataFrame([{"_factor": factor_label(f, stage_names, lang), "value": float(f["contribution"])}
                       for f in a.get("factors", [])], columns=["_factor", "value"])
    df["_sign"] = ["up" if v >= 0 else "down" for v in df["value"]]
    df["_label"] = [f"{v:+,.1f}" for v in df["value"]]
    order = list(df["_factor"])
    y = alt.Y("_factor:N", sort=order, title=None, axis=alt.Axis(labelLimit=260, labelOverlap=False))
    span = max([abs(v) for v in df["value"]] + [1.0])
    x = alt.X("value:Q", title=word("contribution", lang), scale=alt.Scale(domain=[-span * 1.35, span * 1.35]))
    base = alt.Chart(df)
    bars = base.mark_bar().encode(
        y=y, x=x, color=alt.Color("_sign:N", legend=None, scale=alt.Scale(domain=["up", "down"],
                                                                          range=[PALETTE["good"], PALETTE["accent"]])),
        tooltip=[alt.Tooltip("_factor:N", title=word("factor", lang)), alt.Tooltip("value:Q", format="+,.1f")])
    text = base.mark_text(fontSize=12, dx=alt.expr("datum.value >= 0 ? 6 : -6"),
                          align=alt.expr("datum.value >= 0 ? 'left' : 'right'")).encode(y=y, x=x, text="_label:N")
    zero = alt.Chart(pd.DataFrame({"z": [0]})).mark_rule(color=PALETTE["muted"]).encode(x="z:Q")
    chart = alt.layer(bars, zero, text).properties(title=title or word("attribution", lang), width=460,
                                                   height=max(140, 48 * len(df)))
    return _configure(chart, lang)


def mix_rate_bars(mix: list[dict], lang: str = "zh", segment_by: str = "source", title: str | None = None,
                  top: int = 12):
    """Mix and rate terms (in percentage points) per segment of ``segment_by``, side by side, signed; the
    ``top`` segments with the largest terms."""
    rows = [m for m in mix if m["segment_by"] == segment_by]
    rows.sort(key=lambda m: -(abs(m["mix"]) + abs(m["rate"])))
    rows = rows[:top]
    data = []
    for m in rows:
        name = t("unspecified", lang) if m["segment"] is None else str(m["segment"])
        for term in ("mix", "rate"):
            data.append({"_segment": name, "_term": as_heading(word(term, lang)), "value": float(m[term]) * 100})
    df = pd.DataFrame(data, columns=["_segment", "_term", "value"])
    order = list(dict.fromkeys(df["_segment"]))
    # At least +-1 pp on the axis: with every term 0 the scale collapsed and its one tick read "0.000000".
    span = max([abs(v) for v in df["value"]] + [1.0]) * 1.15
    chart = alt.Chart(df).mark_bar().encode(
        y=alt.Y("_segment:N", sort=order, title=None, axis=alt.Axis(labelLimit=160, labelOverlap=False)),
        yOffset=alt.YOffset("_term:N"),
        x=alt.X("value:Q", title=word("pp", lang), scale=alt.Scale(domain=[-span, span]),
                axis=alt.Axis(format="+,.1~f")),
        color=alt.Color("_term:N", title=None, scale=alt.Scale(range=[PALETTE["bar"], PALETTE["line"]])),
        tooltip=[alt.Tooltip("_segment:N", title=word("segment", lang)), alt.Tooltip("_term:N"),
                 alt.Tooltip("value:Q", format="+.1f")],
    ).properties(title=title or word("mix_title", lang), width=420, height=max(120, 46 * len(order)))
    return _configure(chart, lang)
