"""The report as one self-contained HTML file: inline CSS, charts as base64 PNG, no script, no network.

Every value that comes from the data (names, reasons, lead IDs, stage names, the filter) goes through
``html.escape``; the only markup is the template's own. Print CSS: A4, each section on a new page, rows
and figures kept whole.
"""

from __future__ import annotations

import base64
import html

from funnel.report.labels import L
from funnel.report.model import Kpi, ReportData, Section, Table, fmt_delta, fmt_value

CSS = """
:root { --ink:#1f2933; --muted:#5f6b7a; --line:#d9dee5; --accent:#2f5d8a; --bg:#ffffff; --tile:#f4f6f9;
        --up:#1a7f37; --down:#b42318; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 15px/1.65 "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC",
             "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 32px 28px 64px; }
header.report { border-bottom: 3px solid var(--accent); padding-bottom: 14px; margin-bottom: 8px; }
h1 { font-size: 28px; line-height: 1.3; margin: 0 0 6px; color: var(--accent); }
.subtitle { font-size: 17px; margin: 0 0 6px; }
.meta { color: var(--muted); font-size: 13px; margin: 2px 0; }
section { margin-top: 36px; }
h2 { font-size: 21px; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h2 .num { display: inline-block; min-width: 1.6em; color: var(--accent); }
h3 { font-size: 16px; margin: 22px 0 8px; }
p { margin: 8px 0; }
.note { color: var(--muted); font-size: 13px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; margin: 12px 0 16px; }
.kpi { background: var(--tile); border-radius: 8px; padding: 12px 14px; break-inside: avoid; }
.kpi .label { font-size: 13px; color: var(--muted); }
.kpi .value { font-size: 26px; font-weight: 600; line-height: 1.25; font-variant-numeric: tabular-nums; }
.kpi .prev { font-size: 12.5px; color: var(--muted); }
.kpi .delta.up { color: var(--up); } .kpi .delta.down { color: var(--down); }
figure { margin: 16px 0; text-align: left; break-inside: avoid; }
figure img { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
.table-wrap { overflow-x: auto; margin: 8px 0 4px; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; font-size: 15px; padding: 6px 0; }
th, td { padding: 5px 9px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--tile); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafbfc; }
ol.actions { padding-left: 1.4em; } ol.actions li { margin: 0 0 14px; }
ol.actions .basis { display: block; color: var(--muted); font-size: 13px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  section { break-before: page; margin-top: 0; }
  section:first-of-type { break-before: auto; }
  tr, figure, .kpi, li { break-inside: avoid; }
  thead { display: table-header-group; }
  .kpi, th, tbody tr:nth-child(even) td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

_NUMERIC = ("int", "num", "pct", "days", "pp")


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _kpi(k: Kpi, lang: str) -> str:
    delta = k.delta
    better = delta if k.kind != "days" else (-delta if delta else delta)  # a longer cycle is worse
    cls = "" if not better else (" up" if better > 0 else " down")
    prev = ""
    if k.compare:
        prev = (f'<div class="prev">{_e(L("previous", lang))} {_e(fmt_value(k.previous, k.kind, lang))} · '
                f'<span class="delta{cls}">{_e(fmt_delta(k, lang))}</span></div>')
    return (f'<div class="kpi"><div class="label">{_e(k.label)}</div>'
            f'<div class="value">{_e(fmt_value(k.value, k.kind, lang))}</div>{prev}</div>')


def _table(t: Table, lang: str) -> str:
    head = "".join(f'<th class="{"num" if c.kind in _NUMERIC else ""}" scope="col">{_e(c.header)}</th>'
                   for c in t.columns)
    body = []
    for row in t.rows:
        cells = "".join(f'<td class="{"num" if c.kind in _NUMERIC else ""}">{_e(fmt_value(row.get(c.key), c.kind, lang))}</td>'
                        for c in t.columns)
        body.append(f"<tr>{cells}</tr>")
    if not t.rows:
        body.append(f'<tr><td colspan="{len(t.columns)}" class="note">{_e(L("none", lang))}</td></tr>')
    notes = [t.note] if t.note else []
    if t.row_count > len(t.rows):
        notes.append(L("list_cut", lang, shown=len(t.rows), total=t.row_count))
    note = "".join(f'<p class="note">{_e(n)}</p>' for n in notes)
    return (f'<div class="table-wrap"><table><caption>{_e(t.title)}</caption><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>{note}')


def _section(s: Section, lang: str) -> str:
    parts = [f'<section id="{_e(s.key)}"><h2><span class="num">{s.number}</span>{_e(s.title)}</h2>']
    if s.kpis:
        parts.append('<div class="kpis">' + "".join(_kpi(k, lang) for k in s.kpis) + "</div>")
    for para in s.paragraphs:
        parts.append(f"<p>{_e(para)}</p>")
    if s.actions:
        items = "".join(f'<li>{_e(a.text)}<span class="basis">{_e(L("fig_ref", lang))}:{_e(a.basis)}</span></li>'
                        for a in s.actions)
        parts.append(f'<ol class="actions">{items}</ol>')
    for chart in s.charts:
        png = chart.png()
        data = base64.b64encode(png).decode("ascii")
        # Rendered at scale 2: show at the chart's own CSS size (sharp on HiDPI), never wider than the page.
        width = int.from_bytes(png[16:20], "big") // 2
        caption = f"<figcaption>{_e(chart.caption)}</figcaption>" if chart.caption else ""
        parts.append(f'<figure><img alt="{_e(chart.title)}" width="{width}" src="data:image/png;base64,{data}">{caption}</figure>')
    for table in s.tables:
        parts.append(_table(table, lang))
    parts.append("</section>")
    return "\n".join(parts)


def render_html(report: ReportData) -> str:
    """The whole report as an HTML document (str)."""
    lang = report.lang
    meta = "".join(f'<p class="meta">{_e(m)}</p>' for m in report.meta)
    body = "\n".join(_section(s, lang) for s in report.sections)
    html_lang = "zh-CN" if lang == "zh" else "en"
    return f"""<!DOCTYPE html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{_e(report.title)} · {_e(report.period.label)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header class="report"><h1>{_e(report.title)}</h1><p class="subtitle">{_e(report.subtitle)}</p>{meta}</header>
{body}
<footer>Lead Funnel · {_e(report.title)} · {_e(report.period.label)}</footer>
</main>
</body>
</html>
"""
