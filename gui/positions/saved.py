"""What the positions feature keeps in QSettings: account metadata and what-if positions. Never a secret.

Accounts are stored as ``AccountInfo.to_dict()`` (id, label, exchange) under ``accounts/list``; the key,
secret and passphrase live only in the OS keyring (market/credentials.py). What-if positions are plain
numbers under ``positions/what_if``. Both as JSON text so an INI file and the native stores read the same.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Iterable

from PySide6 import QtCore

from analytics.positions import WhatIfPosition
from market.credentials import EXCHANGES, AccountInfo
from market.venues import load

ACCOUNTS_KEY = "accounts/list"
WHAT_IF_KEY = "positions/what_if"
WALLETS_KEY = "positions/wallets"  # public wallet addresses (venues with ``wallet`` in market.venues)
_WHAT_IF_FIELDS = {f.name for f in fields(WhatIfPosition)}


def _json_list(settings: QtCore.QSettings, key: str) -> list:
    raw = settings.value(key, "")
    if not isinstance(raw, str) or not raw:
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    return data if isinstance(data, list) else []


def load_accounts(settings: QtCore.QSettings) -> list[AccountInfo]:
    """The saved accounts; entries that are damaged or name an unknown exchange are skipped."""
    out: list[AccountInfo] = []
    for row in _json_list(settings, ACCOUNTS_KEY):
        try:
            info = AccountInfo.from_dict(row)
        except (KeyError, TypeError):
            continue
        if info.exchange in EXCHANGES and info.id not in {a.id for a in out}:
            out.append(info)
    return out


def save_accounts(settings: QtCore.QSettings, accounts: Iterable[AccountInfo]) -> None:
    # to_dict is the whole of what may leave the keyring: id, label, exchange.
    settings.setValue(ACCOUNTS_KEY, json.dumps([a.to_dict() for a in accounts]))
    settings.sync()


def load_wallets(settings: QtCore.QSettings) -> list[AccountInfo]:
    """The saved wallet addresses as accounts (id = the address): public data, so plain settings."""
    from market.venues import VENUES

    out: list[AccountInfo] = []
    for row in _json_list(settings, WALLETS_KEY):
        try:
            info = AccountInfo.from_dict(row)
        except (KeyError, TypeError):
            continue
        venue = VENUES.get(info.exchange)
        if venue is None or not venue.wallet or info.id.lower() in {a.id.lower() for a in out}:
            continue
        try:
            checked = load(venue.wallet).check_address(info.id)
        except ValueError:
            continue  # a damaged entry is dropped, the others stay
        out.append(AccountInfo(checked, info.label, info.exchange))
    return out


def save_wallets(settings: QtCore.QSettings, wallets: Iterable[AccountInfo]) -> None:
    settings.setValue(WALLETS_KEY, json.dumps([w.to_dict() for w in wallets]))
    settings.sync()


def load_what_ifs(settings: QtCore.QSettings) -> list[WhatIfPosition]:
    out: list[WhatIfPosition] = []
    for row in _json_list(settings, WHAT_IF_KEY):
        if not isinstance(row, dict):
            continue
        try:
            out.append(WhatIfPosition(**{k: v for k, v in row.items() if k in _WHAT_IF_FIELDS}))
        except (TypeError, ValueError):
            continue  # a damaged entry is dropped, the others stay
    return out


def save_what_ifs(settings: QtCore.QSettings, positions: Iterable[WhatIfPosition]) -> None:
    settings.setValue(WHAT_IF_KEY, json.dumps([asdict(p) for p in positions]))
    settings.sync()
