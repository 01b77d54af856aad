"""Every change of the configuration goes through ``save_settings``: one transaction that writes, rebuilds
the derived tables when the stages changed, and gives the data a new version (so every cache misses)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from funnel.stages import StageConfig
from funnel.store.config import bump_data_version, save_loss_categories, save_stage_config, set_setting
from funnel.store.derived import refresh_derived
from funnel.store.transaction import write_transaction


def save_settings(con: duckdb.DuckDBPyConnection, *, stages: StageConfig | None = None,
                  loss_categories: Mapping[str, str] | None = None,
                  values: Mapping[str, str] | None = None) -> str:
    """Write what is given (the stage configuration with its synonyms, the loss-reason categories, plain
    settings such as ``language`` and ``stalled_days``) in one transaction; rebuild the derived tables when
    ``stages`` is given (stage order and the won stage shape them). Returns the new data version. Raises
    (and writes nothing) when any part fails, e.g. a stage configuration without a won stage."""
    with write_transaction(con):
        if stages is not None:
            save_stage_config(con, stages, bump=False)
        if loss_categories is not None:
            save_loss_categories(con, dict(loss_categories))
        for key, value in (values or {}).items():
            set_setting(con, key, value)
        if stages is not None:
            refresh_derived(con)
        return bump_data_version(con)
