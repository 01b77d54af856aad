"""The figures folder (funnel.store.figure_sets): where ``metrics --save`` writes, what the dashboard reads, and
why a file is left out. ``--out`` keeps writing exactly the printed JSON."""

from __future__ import annotations

import json
import os

import pytest

from funnel.store import figure_sets as fs

MINIMAL = {"schema_version": 2, "as_of": "2024-06-30", "cohort": {"leads": 0}, "stages": []}


def test_the_folder_is_data_figures_unless_the_environment_says_otherwise(monkeypatch, tmp_path):
    monkeypatch.delenv(fs.FIGURES_DIR_ENV_VAR, raising=False)
    assert fs.default_figures_dir().parts[-2:] == ("data", "figures")
    monkeypatch.setenv(fs.FIGURES_DIR_ENV_VAR, str(tmp_path))
    assert fs.default_figures_dir() == tmp_path


def test_save_then_read_keeps_figures_and_provenance_apart(tmp_path):
    prov = {"engine": "spark", "lake": "/lake", "computed_at": "2026-01-02T03:04:05+00:00"}
    path = fs.save_figure_set(MINIMAL, prov, folder=tmp_path / "new")
    assert path.name == "spark-2024-06-30-20260102T030405Z.json"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temporary file left
    entry = fs.read_figure_set(path, path.parent)
    assert entry.problem is None and entry.figures == MINIMAL and entry.provenance == prov
    assert fs.save_figure_set(MINIMAL, prov, name="north", folder=tmp_path).name == "north.json"
    with pytest.raises(ValueError):
        fs.save_figure_set(MINIMAL, prov, name="../escape", folder=tmp_path)


@pytest.mark.parametrize("content, problem", [
    (b'{"as_of": ', "not_json"),
    (b"\xff\xfe\x00garbage", "not_json"),
    (b"[1, 2]", "not_object"),
    (b'{"hello": "world"}', "foreign"),
    (json.dumps({**MINIMAL, "stages": "x"}).encode(), "foreign"),
    (json.dumps({**MINIMAL, "schema_version": 3}).encode(), "newer_schema"),
])
def test_a_file_that_is_not_a_figure_set_is_named_not_raised(tmp_path, content, problem):
    (tmp_path / "f.json").write_bytes(content)
    (entry,) = fs.read_figure_sets(tmp_path)
    assert entry.problem == problem and entry.figures is None


def test_too_big_links_out_and_hidden_files(tmp_path, monkeypatch):
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(MINIMAL))
    folder = tmp_path / "figures"
    folder.mkdir()
    os.symlink(outside, folder / "link.json")
    (folder / ".half.json.tmp").write_text("{")
    (folder / "big.json").write_text(json.dumps(MINIMAL))
    monkeypatch.setattr(fs, "MAX_FILE_BYTES", 10)
    found = {e.name: e.problem for e in fs.read_figure_sets(folder)}
    assert found == {"link.json": "outside", "big.json": "too_big"}
    assert fs.read_figure_sets(tmp_path / "absent") == []


def test_out_stays_the_printed_json_and_save_adds_provenance(tmp_path, monkeypatch, capsys):
    from funnel.cli import main
    from funnel.store.bootstrap import sample_files

    monkeypatch.setenv(fs.FIGURES_DIR_ENV_VAR, str(tmp_path / "figures"))
    out = tmp_path / "out.json"
    assert main(["metrics", "--input", *map(str, sample_files()), "--json", "--out", str(out), "--save", "x"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert json.loads(out.read_text(encoding="utf-8")) == printed
    saved = json.loads((tmp_path / "figures" / "x.json").read_text(encoding="utf-8"))
    prov = saved.pop("provenance")
    assert saved == printed
    assert prov["engine"] == "duckdb" and prov["input"] == [p.name for p in sample_files()]
    assert prov["data_version"] and prov["computed_at"] and prov["computed_in_s"] >= 0


def test_a_bad_save_name_stops_before_anything_is_computed(capsys):
    from funnel.cli import main

    assert main(["metrics", "--db", "/nonexistent/x.duckdb", "--save", "../elsewhere"]) == 1
    assert "--save" in capsys.readouterr().err
