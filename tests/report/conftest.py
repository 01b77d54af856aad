"""Fixtures of the report tests; the data lives in report_data.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_data import EVENTS, EVIL_REASON, EVIL_REP, LEADS, make_store  # noqa: F401


@pytest.fixture()
def store():
    con = make_store()
    yield con
    con.close()
