"""Mutations of JSON values (exchange responses, WebSocket messages) for the live fuzzers.

``mutate(value, rng)`` returns a copy with a few structural or value edits: a leaf replaced by a value
of another type or an absurd one, a key deleted, a list emptied or cut, a container replaced. The
original is never modified.
"""

from __future__ import annotations

import copy
import random
from typing import Any

NASTY: tuple[Any, ...] = (None, "", "abc", "nan", "NaN", "inf", "-1", "0", "1e400", "-1e400", "9" * 30, -1, 0, 2**63,
                          -(2**63) - 1, 1e308, True, False, [], {}, [None], {"": None}, "0x1F", " 1 ", "１２", "\u0000")


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, prefix + (i,))
    return out


def _get(value: Any, path: tuple) -> Any:
    for p in path:
        value = value[p]
    return value


def _edit(root: Any, rng: random.Random) -> Any:
    paths = _paths(root)
    path = rng.choice(paths)
    op = rng.randrange(6)
    replacement = copy.deepcopy(rng.choice(NASTY))
    if not path:  # the whole message
        return replacement if op < 3 else [root] if op == 3 else root
    parent, key = _get(root, path[:-1]), path[-1]
    target = parent[key]
    if op == 0 and isinstance(parent, dict):
        del parent[key]
    elif op == 0 and isinstance(parent, list):
        parent.pop(key)
    elif op == 1 and isinstance(target, list):
        del target[rng.randrange(len(target) + 1):]
    elif op == 2 and isinstance(target, str) and target:
        parent[key] = target[: rng.randrange(len(target))]  # a number or id cut short
    elif op == 3 and isinstance(target, (int, float)) and not isinstance(target, bool):
        parent[key] = str(target)  # a number sent as a string (or back)
    elif op == 3 and isinstance(target, str):
        try:
            parent[key] = float(target)
        except ValueError:
            parent[key] = replacement
    else:
        parent[key] = replacement
    return root


def mutate(value: Any, rng: random.Random, edits: int | None = None) -> Any:
    root = copy.deepcopy(value)
    for _ in range(edits if edits is not None else rng.choice((1, 1, 1, 2, 3))):
        root = _edit(root, rng)
    return root
