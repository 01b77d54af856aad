"""Reading an input source (a path or an uploaded ``(file_name, bytes)`` pair) into bytes, with a size limit.

One output: ``Source(file_name, data, sha256, kind)``; ``kind`` is ``xlsx`` or ``csv``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from funnel.ingest.batch import ImportError_

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Source:
    file_name: str
    data: bytes
    sha256: str
    kind: str  # xlsx | csv


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def read_source(source: object, max_bytes: int) -> Source:
    """Read a Path / str path or a (file_name, bytes) pair; refuse files over ``max_bytes`` before reading them."""
    if isinstance(source, tuple):
        file_name, data = source
        file_name = str(file_name)
        if len(data) > max_bytes:
            raise ImportError_(f"{file_name}: the file is {_mb(len(data))}, over the limit of {_mb(max_bytes)}. "
                               "Split it into smaller files or raise the size limit.")
        data = bytes(data)
    else:
        path = Path(source)
        file_name = path.name
        if not path.is_file():
            raise ImportError_(f"{file_name}: file not found ({path}). Check the path.")
        size = path.stat().st_size
        if size > max_bytes:
            raise ImportError_(f"{file_name}: the file is {_mb(size)}, over the limit of {_mb(max_bytes)}. "
                               "Split it into smaller files or raise the size limit.")
        data = path.read_bytes()
    return Source(file_name, data, hashlib.sha256(data).hexdigest(), _kind(file_name, data))


def _kind(file_name: str, data: bytes) -> str:
    """xlsx for a zip container or an .xlsx/.xlsm/.xls name (checked further by the XLSX reader), else csv."""
    lower = file_name.lower()
    if data.startswith(ZIP_MAGIC) or data.startswith(OLE_MAGIC):
        return "xlsx"
    if lower.endswith((".xlsx", ".xlsm", ".xls", ".et")):
        return "xlsx"
    return "csv"
