"""One writer at a time, one transaction per write: the lock and the context manager every writer uses.

At the bottom of the store package (it imports nothing of it), so ``db`` (which rebuilds derived tables
when it opens an old store), ``derived``, ``loader`` and ``settings`` all use it without an import circle.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import duckdb

# One writer at a time within the process. Two threads (two dashboard sessions writing at once, each with
# its own cursor on the one DuckDB instance) would both rebuild the derived tables and DuckDB aborts the
# second commit with "Catalog write-write conflict". Reentrant, so a holder may call another writer.
WRITE_LOCK = threading.RLock()


@contextmanager
def write_transaction(con: duckdb.DuckDBPyConnection):
    """``with write_transaction(con):`` holds WRITE_LOCK and runs the block in one transaction: commit when it
    ends, rollback (and re-raise) when it raises, so nothing is ever half written. After the commit, still
    under the lock, the database is published for read-only replicas when its publish folder exists
    (``funnel.store.publish``; off otherwise)."""
    with WRITE_LOCK:
        con.execute("begin transaction")
        try:
            yield con
        except BaseException:
            con.execute("rollback")
            raise
        con.execute("commit")
        _after_commit(con)


def _after_commit(con: duckdb.DuckDBPyConnection) -> None:
    # Imported here, not at the top: this module stays at the bottom of the store package.
    from funnel.store.publish import publish_if_enabled

    publish_if_enabled(con)
