"""Configuration kept in the database: stages, stage synonyms, loss-reason categories, settings.

``data_version`` (a settings row) changes on every write, so the dashboard can key its caches by it.
"""

from __future__ import annotations

import uuid

import duckdb

from funnel.stages import DEFAULT_STAGES, DEFAULT_SYNONYMS, Stage, StageConfig

DEFAULT_LOSS_CATEGORIES: dict[str, str] = {
    "价格": "价格 / price", "预算": "价格 / price", "贵": "价格 / price", "price": "价格 / price",
    "budget": "价格 / price",
    "决策": "决策链 / decision chain", "decision": "决策链 / decision chain",
    "竞品": "竞品 / competitor", "竞争": "竞品 / competitor", "competitor": "竞品 / competitor",
    "需求": "需求 / need", "need": "需求 / need",
    "联系不上": "失联 / unreachable", "失联": "失联 / unreachable", "unreachable": "失联 / unreachable",
    "交付": "交付 / delivery", "delivery": "交付 / delivery",
}


def ensure_default_config(con: duckdb.DuckDBPyConnection) -> None:
    """Write the default stages, synonyms and loss categories into an empty database."""
    if con.execute("select count(*) from stages").fetchone()[0] == 0:
        save_stage_config(con, StageConfig(DEFAULT_STAGES, dict(DEFAULT_SYNONYMS)), bump=False)
    if con.execute("select count(*) from loss_categories").fetchone()[0] == 0:
        con.executemany("insert into loss_categories values (?, ?)", list(DEFAULT_LOSS_CATEGORIES.items()))
    if con.execute("select count(*) from settings where key = 'data_version'").fetchone()[0] == 0:
        con.execute("insert into settings values ('data_version', ?)", [uuid.uuid4().hex])


def load_stage_config(con: duckdb.DuckDBPyConnection) -> StageConfig:
    """The configured stages (in order) and synonyms."""
    rows = con.execute(
        'select key, "order", name_zh, name_en, definition, expected_days, kind from stages order by "order"'
    ).fetchall()
    stages = tuple(Stage(*row) for row in rows) or DEFAULT_STAGES
    synonyms = dict(con.execute("select synonym, stage_key from stage_synonyms").fetchall())
    return StageConfig(stages, synonyms)


def save_stage_config(con: duckdb.DuckDBPyConnection, config: StageConfig, bump: bool = True) -> None:
    """Replace the stage configuration (the caller refreshes derived tables and owns the transaction)."""
    con.execute("delete from stages")
    con.executemany(
        "insert into stages values (?, ?, ?, ?, ?, ?, ?)",
        [(s.key, s.order, s.name_zh, s.name_en, s.definition, s.expected_days, s.kind) for s in config.stages],
    )
    con.execute("delete from stage_synonyms")
    if config.synonyms:
        con.executemany("insert into stage_synonyms values (?, ?)", list(config.synonyms.items()))
    if bump:
        bump_data_version(con)


def load_loss_categories(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("select keyword, category from loss_categories order by keyword").fetchall())


def save_loss_categories(con: duckdb.DuckDBPyConnection, categories: dict[str, str]) -> None:
    con.execute("delete from loss_categories")
    if categories:
        con.executemany("insert into loss_categories values (?, ?)", list(categories.items()))
    bump_data_version(con)


def get_setting(con: duckdb.DuckDBPyConnection, key: str, default: str | None = None) -> str | None:
    row = con.execute("select value from settings where key = ?", [key]).fetchone()
    return row[0] if row else default


def set_setting(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("insert or replace into settings values (?, ?)", [key, value])


def bump_data_version(con: duckdb.DuckDBPyConnection) -> str:
    """Give the data a new version value (caches keyed by it miss from now on)."""
    version = uuid.uuid4().hex
    set_setting(con, "data_version", version)
    return version


def data_version(con: duckdb.DuckDBPyConnection) -> str:
    return get_setting(con, "data_version", "") or ""
