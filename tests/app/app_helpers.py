"""Helpers shared by the AppTest modules (kept out of conftest.py: conftest modules of different test folders
share one module name)."""

from __future__ import annotations

from pathlib import Path

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def new_app(query: dict | None = None, locale: str | None = "zh-CN"):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    if locale:
        at.context = {"locale": locale} if hasattr(at, "context") else None
    if query:
        at.query_params.update(query)
    return at
