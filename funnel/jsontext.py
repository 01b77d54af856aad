"""``json.dumps(obj, ensure_ascii=False, indent=2)``, byte for byte, without Python's slow indenting encoder.

With ``indent`` set, the standard library encodes every value in Python (its C encoder only writes compact
text): at 1M leads the ``metrics --json`` figure set (170k lead rows in the follow-up lists, 45 MB) took 4.2 s
to indent against 1.2 s compact. Here each list of flat records (every value a string, number, bool or
None, the same keys in the same order) is encoded compactly by the C encoder and laid out by replacing its
separators; everything else is indented by ``json.dumps`` itself, nested by re-indenting its lines.

The C encoder lays each record out itself when its item separator is ``",\\n" + indentation``; only the
boundaries between records are rewritten. That is exact: inside an encoded string a newline is written
``\\n``, so a newline in the text is always structural, and ``},\\n<indentation>{"first key": `` always the
boundary between two records.
tests/test_jsontext.py holds the output equal to ``json.dumps`` on generated data with such strings.
"""

from __future__ import annotations

import json

_SCALARS = (str, int, float, bool, type(None))


def dumps(obj, indent: int = 2) -> str:
    """``json.dumps(obj, ensure_ascii=False, indent=indent)``."""
    return _dump(obj, " " * indent, 0)


def _dump(obj, pad: str, level: int) -> str:
    """``obj`` as indented JSON text whose lines after the first start ``level`` pads deep."""
    inner, outer = pad * (level + 1), pad * level
    if type(obj) is dict and obj and all(type(k) is str for k in obj):
        items = f",\n{inner}".join(f"{json.dumps(k, ensure_ascii=False)}: {_dump(v, pad, level + 1)}"
                                    for k, v in obj.items())
        return f"{{\n{inner}{items}\n{outer}}}"
    if type(obj) is list and obj:
        keys = _record_keys(obj)
        if keys:
            return _records(obj, keys[0], pad, level)
        items = f",\n{inner}".join(_dump(v, pad, level + 1) for v in obj)
        return f"[\n{inner}{items}\n{outer}]"
    text = json.dumps(obj, ensure_ascii=False, indent=len(pad))
    return text.replace("\n", "\n" + outer) if level else text  # a newline in JSON text is always structural


def _record_keys(rows: list) -> tuple | None:
    """The common keys when ``rows`` are flat records with string keys in the same order, else None."""
    first = rows[0]
    if type(first) is not dict or not first:
        return None
    keys = tuple(first)
    if not all(type(k) is str for k in keys):
        return None
    for row in rows:
        if type(row) is not dict or tuple(row) != keys:
            return None
        for value in row.values():
            if not isinstance(value, _SCALARS):
                return None
    return keys


def _records(rows: list, first_key: str, pad: str, level: int) -> str:
    """Flat records: the C encoder writes each record's items already laid out (its item separator holds the
    newline and the indentation); only the record boundaries are rewritten."""
    one, two = pad * (level + 1), pad * (level + 2)
    text = json.dumps(rows, ensure_ascii=False, separators=(f",\n{two}", ": "))  # [{"k0": v,\n  "k1": v},\n  {...}]
    name = json.dumps(first_key, ensure_ascii=False)
    text = text[2:-2].replace(f"}},\n{two}{{{name}: ", f"\n{one}}},\n{one}{{\n{two}{name}: ")
    return f"[\n{one}{{\n{two}{text}\n{one}}}\n{pad * level}]"
