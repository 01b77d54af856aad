"""Child process of the crash tests: import a file into a database file, then wait to be killed.

    python rel_child.py DB CSV MODE
MODE ``pause-in-transaction``: the loader's refresh_derived (inside the import transaction, after every row
was written) runs, then prints ``IN-TRANSACTION`` and sleeps: the parent SIGKILLs it there. The hook is
installed here, by monkeypatching the loader module of this child only; the product code has no hook.
MODE ``commit-then-wait``: the import commits, prints ``COMMITTED`` and sleeps without closing.
MODE ``hold``: opens the Store, prints ``HOLDING``, waits for a line on stdin, closes, prints ``CLOSED``.
MODE ``retry-import``: tries the Store until it is free (StoreBusyError -> prints ``BUSY`` once, retries),
then imports CSV and prints ``IMPORTED <n>``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from funnel.store import loader  # noqa: E402
from funnel.store.db import Store, StoreBusyError  # noqa: E402


def main(db: str, csv: str, mode: str) -> None:
    if mode == "hold":
        store = Store(db)
        store.cursor()
        print("HOLDING", flush=True)
        sys.stdin.readline()
        store.close()
        print("CLOSED", flush=True)
        return
    if mode == "retry-import":
        said_busy = False
        deadline = time.monotonic() + 30
        while True:
            store = Store(db)
            try:
                con = store.cursor()
                break
            except StoreBusyError:
                if not said_busy:
                    print("BUSY", flush=True)
                    said_busy = True
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        report = loader.import_files(con, [Path(csv)], who="retry")
        store.close()
        print(f"IMPORTED {report.rows_accepted}", flush=True)
        return
    # Unconfined only so the pragma below can be set (a confined Store locks its configuration).
    store = Store(db, confine=False)
    con = store.cursor()
    # Keep the committed data in the WAL (no automatic checkpoint) so reopening has to replay it.
    con.execute("pragma wal_autocheckpoint = '10GB'")
    if mode == "pause-in-transaction":
        original = loader.refresh_derived

        def paused(con_, *args, **kwargs):
            original(con_, *args, **kwargs)
            print("IN-TRANSACTION", flush=True)
            time.sleep(600)

        loader.refresh_derived = paused
    loader.import_files(con, [Path(csv)], who="child")
    print("COMMITTED", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main(*sys.argv[1:4])
