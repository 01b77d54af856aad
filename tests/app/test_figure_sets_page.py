"""The Figure sets page (批量指标集) on figure sets written by ``python -m funnel metrics --save`` (DuckDB on the
sample data): listed with where they came from, drawn in both languages, bad or foreign files named with the
reason, a damaged section skipped with a sentence, never an exception."""

from __future__ import annotations

import json
import re

import pytest
from app_helpers import new_app

BAD = re.compile(r"\b(NaN|nan|None|inf|Infinity)\b")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", str(text))


def _texts(at) -> str:
    out = []
    for kind in ("title", "subheader", "caption", "markdown", "info", "warning", "error"):
        out += [_unescape(e.value) for e in getattr(at, kind)]
    out += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(out)


@pytest.fixture(scope="module")
def figures_dir(sample_db, tmp_path_factory):
    """A figures folder: one figure set saved by the CLI, one written by --out (no provenance), a damaged copy,
    and four files that are not figure sets."""
    from funnel.cli import main

    folder = tmp_path_factory.mktemp("figures")
    mp = pytest.MonkeyPatch()
    mp.setenv("LEAD_FUNNEL_FIGURES_DIR", str(folder))
    try:
        assert main(["metrics", "--db", str(sample_db), "--save", "sample-all"]) == 0
    finally:
        mp.undo()
    saved = json.loads((folder / "sample-all.json").read_text(encoding="utf-8"))
    damaged = {k: v for k, v in saved.items() if k != "provenance"}
    damaged["reps"] = "not a list"
    damaged["stages"][0]["time_in_stage_days"] = "garbage"
    (folder / "damaged.json").write_text(json.dumps(damaged, ensure_ascii=False), encoding="utf-8")
    (folder / "broken.json").write_text('{"as_of": "2024-', encoding="utf-8")
    (folder / "other-tool.json").write_text('{"hello": "world"}', encoding="utf-8")
    (folder / "a-list.json").write_text("[1, 2, 3]", encoding="utf-8")
    (folder / "newer.json").write_text(json.dumps({**damaged, "schema_version": 99}), encoding="utf-8")
    (folder / "notes.txt").write_text("not read", encoding="utf-8")
    return folder, saved


@pytest.fixture
def open_page(sample_db, app_env, monkeypatch):
    """open_page(lang, folder, pick=None): the app on the sample database, the Figure sets page, the set whose
    file name starts with ``pick`` chosen; no exception."""
    app_env(sample_db)

    def open_(lang: str, folder, pick: str | None = None):
        monkeypatch.setenv("LEAD_FUNNEL_FIGURES_DIR", str(folder))
        at = new_app(query={"lang": lang})
        at.run()
        at.switch_page("app_pages/figure_sets.py")
        at.run()
        if pick is not None:  # the options are the sets' labels, newest first; each starts with the file name
            box = at.selectbox(key="fs_pick")
            box.set_value(next(i for i, text in enumerate(box.options) if text.startswith(pick))).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_shows_a_saved_figure_set(sample_db, figures_dir, open_page, lang):
    from funnel.formats import fmt_num, fmt_pct

    folder, saved = figures_dir
    at = open_page(lang, folder, pick="sample-all.json")
    text = _texts(at)
    assert not BAD.search(text), BAD.search(text)
    assert at.title[0].value == ("批量指标集" if lang == "zh" else "Figure sets")
    # the two readable sets are offered, the saved one with its engine
    options = at.selectbox(key="fs_pick").options
    assert len(options) == 2 and any(o.startswith("sample-all.json · DuckDB") for o in options)
    tiles = {m.label: m.value for m in at.metric}
    leads_label, conv_label = ("线索数", "整体转化率") if lang == "zh" else ("Leads", "Overall conversion")
    assert tiles[leads_label] == fmt_num(saved["cohort"]["leads"])
    assert tiles[conv_label] == fmt_pct(saved["overall_conversion"])
    # where it came from: the engine and the database
    source = at.dataframe[0].value
    values = list(source.iloc[:, 1])
    assert "DuckDB" in values and str(sample_db.resolve()) in values
    # the funnel chart draws the saved reached counts; every section drew a chart
    charts = at.get("vega_lite_chart")
    assert len(charts) >= 10
    import pyarrow as pa

    drawn = pa.ipc.open_stream(charts[0].proto.datasets[0].data.data).read_all().to_pandas()
    assert [int(x) for x in drawn["_reached"]] == [s["reached"] for s in saved["stages"]]
    # the four files that are not figure sets, each named with its reason in the page's language
    warnings = " ".join(_unescape(w.value) for w in at.warning)
    for name in ("broken.json", "other-tool.json", "a-list.json", "newer.json"):
        assert name in warnings
    assert ("不是有效的 JSON" if lang == "zh" else "not a valid JSON file") in warnings
    assert ("更新版本" if lang == "zh" else "newer version") in warnings
    assert "notes.txt" not in text
    # the captions are plain text: no markdown backticks shown, the count without an English plural
    # ("1 figure sets found" was shown once a folder held one set)
    captions = [_unescape(c.value) for c in at.caption]
    assert not [c for c in captions if "`" in c], captions
    assert ("找到的指标集：2 个。" if lang == "zh" else "Figure sets found: 2.") in captions


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_damaged_section_is_skipped_with_a_sentence(figures_dir, open_page, lang):
    at = open_page(lang, figures_dir[0], pick="damaged.json")
    infos = " ".join(_unescape(i.value) for i in at.info)
    assert ("无法读取" if lang == "zh" else "Could not read") in infos
    assert ("没有来源记录" if lang == "zh" else "no record of where it came from") in infos
    assert at.get("vega_lite_chart"), "the readable sections still draw"


def test_an_empty_folder_says_how_to_write_one(open_page, tmp_path):
    at = open_page("en", tmp_path / "absent")
    assert "metrics --engine spark --lake lake/ --save" in " ".join(_unescape(i.value) for i in at.info)


def test_every_forecast_horizon_of_the_set_can_be_shown(figures_dir, open_page):
    # The page showed only the 90-day forecast although the set holds every horizon: a radio as on the Forecast
    # page, the longest first; picking another shows that horizon's expected wins.
    from funnel.formats import fmt_num

    folder, saved = figures_dir
    at = open_page("en", folder, pick="sample-all.json")
    horizons = sorted(e["horizon_days"] for e in saved["forecast"])
    radio = at.radio(key="fs_fc_h")
    assert list(radio.options) == [f"{h} days" for h in horizons] and len(horizons) > 1
    assert radio.value == horizons[-1]
    shortest = next(e for e in saved["forecast"] if e["horizon_days"] == horizons[0])
    radio.set_value(horizons[0]).run()
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Expected wins"] == fmt_num(shortest["expected_wins"], 1)
    assert any(f"{horizons[0]}" in c.value for c in at.caption)
