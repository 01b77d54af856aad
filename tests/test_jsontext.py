"""funnel.jsontext.dumps writes exactly what json.dumps(ensure_ascii=False, indent=2) writes, on generated
nested data whose strings hold the separators the fast path replaces (``, "key": ``, ``}, {"key": ``), quotes,
backslashes, newlines and non-ASCII text."""

from __future__ import annotations

import json
import math
import random

import pytest

from funnel.jsontext import dumps

TRICKY = ['}, {"lead_id": ', ', "rep": ', '"', "\\", '\\"', "\n", "\t", "线索 ，", "", " ", "}]", "[{", "null",
          '", "', "\u2028", "a\\\", \"rep\": b"]


def _scalar(rng: random.Random):
    kind = rng.randrange(7)
    if kind == 0:
        return rng.choice(TRICKY) + rng.choice(TRICKY)
    if kind == 1:
        return rng.randint(-10**6, 10**6)
    if kind == 2:
        return rng.choice([rng.random() * 1e6, -0.0, 1e16, 1.5e-7, math.nan, math.inf, -math.inf, 0.1 + 0.2])
    if kind == 3:
        return rng.choice([True, False])
    if kind == 4:
        return None
    return "".join(rng.choice("ab,:{}[]\" \\\n线") for _ in range(rng.randint(0, 8)))


def _records(rng: random.Random) -> list:
    keys = rng.sample(["lead_id", "rep", "customer", "idle_days", "stage", "x", "y"], rng.randint(1, 5))
    return [{k: _scalar(rng) for k in keys} for _ in range(rng.randint(1, 6))]


def _value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(6 if depth < 3 else 1)
    if kind == 0:
        return _scalar(rng)
    if kind == 1:
        return _records(rng)
    if kind == 2:
        return {rng.choice(TRICKY) + str(i): _value(rng, depth + 1) for i in range(rng.randint(0, 4))}
    if kind == 3:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if kind == 4:  # records that are not flat or not alike: the general path
        rows = _records(rng)
        rows.append({"nested": [1, {"a": None}]} if rng.random() < 0.5 else {"other": 1})
        return rows
    return {1: "int key", "s": []} if rng.random() < 0.5 else {}


@pytest.mark.parametrize("seed", range(60))
def test_dumps_equals_json_dumps_indent_2(seed):
    rng = random.Random(seed)
    obj = {"stalled": _records(rng), "nested": _value(rng), "list": [_value(rng) for _ in range(3)]}
    assert dumps(obj) == json.dumps(obj, ensure_ascii=False, indent=2)


@pytest.mark.parametrize("obj", [[], {}, None, 1.5, "x", [{}], [{"a": 1}], [[]], [{"a": 1}, {"a": 2}],
                                 [{"a": "}, {\"a\": "}, {"a": ", \"a\": "}], {"a": [{"b": [{"c": 1}]}]}])
def test_dumps_small_cases(obj):
    assert dumps(obj) == json.dumps(obj, ensure_ascii=False, indent=2)
