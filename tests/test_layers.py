"""Layers import downward only (docs/architecture.md): checked on the source, imports inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# a package -> the funnel packages it must not import (they sit above it)
ABOVE = {
    "funnel.filters": ("funnel.store", "funnel.metrics", "funnel.report", "funnel.charts", "funnel.cli"),
    "funnel.i18n": ("funnel.store", "funnel.metrics", "funnel.report", "funnel.charts", "funnel.cli"),
    "funnel.formats": ("funnel.store", "funnel.metrics", "funnel.report", "funnel.charts", "funnel.cli"),
    "funnel.periods": ("funnel.store", "funnel.metrics", "funnel.report", "funnel.charts", "funnel.cli"),
    "funnel.plain": ("funnel.store", "funnel.metrics", "funnel.report", "funnel.charts", "funnel.cli"),
    "funnel.store": ("funnel.metrics", "funnel.report", "funnel.charts", "funnel.cli"),
    "funnel.metrics": ("funnel.report", "funnel.charts", "funnel.cli"),
    "funnel.charts": ("funnel.report", "funnel.cli"),
}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def test_layers_import_downward_only_and_funnel_never_imports_streamlit():
    wrong = []
    for path in sorted((ROOT / "funnel").rglob("*.py")):
        module, imported = _module(path), _imports(path)
        if any(i == "streamlit" or i.startswith("streamlit.") for i in imported):
            wrong.append(f"{module} imports streamlit")
        for layer, above in ABOVE.items():
            if module == layer or module.startswith(layer + "."):
                wrong += [f"{module} imports {i}" for i in imported if i.startswith(above)]
    assert not wrong, wrong


def test_store_db_and_derived_do_not_import_each_other():
    store = ROOT / "funnel" / "store"
    assert "funnel.store.db" not in _imports(store / "derived.py")
