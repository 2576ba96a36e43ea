"""What differs per exchange for private calls: ccxt class and options, error codes, permission checks.

Error codes (the exchanges' API docs, cross-checked against ccxt 4.5.90's own ``exceptions`` maps):
- Binance: -2014 "API-key format invalid", -2015 "Invalid API-key, IP, or permissions for action"
  (Binance uses this one code for a wrong key, an IP outside the whitelist and a missing permission),
  -1022 "Signature for this request is not valid" (wrong secret), -1021 "Timestamp for this request is
  outside of the recvWindow".
- OKX v5: 50111 invalid OK-ACCESS-KEY, 50113 invalid sign, 50105 invalid passphrase, 50102 timestamp
  request expired, 50112 invalid OK-ACCESS-TIMESTAMP, 50110 IP not in the key's whitelist.
- Bybit v5: 10003 invalid API key, 10004 invalid sign, 10002 timestamp/recv_window, 10010 unmatched IP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping, Optional

Permissions = tuple[Optional[bool], Optional[bool]]  # (can_trade, can_withdraw); None: not told


@dataclass(frozen=True)
class Venue:
    """One venue's private side. The callables take the ccxt exchange (``probe``, ``permissions``) or its
    raw balance ``info`` (``balance_fields``), so the client has no per-venue branches."""

    name: str
    ccxt_id: str
    options: Mapping[str, Any]
    codes: Mapping[str, str]  # exchange error code -> ConnectionResult status
    code_messages: Mapping[str, str] = field(default_factory=dict)
    probe: Optional[Callable[[Any], Awaitable[Any]]] = None  # one cheap signed call needing no markets
    permissions: Optional[Callable[[Any], Awaitable[Permissions]]] = None
    # raw fetch_balance ``info`` + currency -> (wallet, equity, available) strings/numbers; raises on absence
    balance_fields: Optional[Callable[[Mapping[str, Any], str], tuple[Any, Any, Any]]] = None
    balance_params: Mapping[str, Any] = field(default_factory=dict)


async def _binance_probe(ex) -> None:
    await ex.fapiPrivateV3GetAccount()


async def _okx_probe(ex) -> None:
    await ex.privateGetAccountBalance()


async def _bybit_probe(ex) -> None:
    await ex.privateGetV5AccountWalletBalance({"accountType": "UNIFIED"})


async def _binance_permissions(ex) -> Permissions:
    return binance_permissions(await ex.sapiGetAccountApiRestrictions())


async def _okx_permissions(ex) -> Permissions:
    data = (await ex.privateGetAccountConfig()).get("data") or [{}]
    return okx_permissions(data[0])


async def _bybit_permissions(ex) -> Permissions:
    return bybit_permissions((await ex.privateGetV5UserQueryApi()).get("result") or {})


def _binance_balance(info: Mapping[str, Any], currency: str):
    a = next(x for x in info.get("assets", []) if x.get("asset") == currency)
    return a.get("walletBalance"), a.get("marginBalance"), a.get("availableBalance")


def _okx_balance(info: Mapping[str, Any], currency: str):
    d = next(x for x in info["data"][0]["details"] if x.get("ccy") == currency)
    return d.get("cashBal"), d.get("eq"), d.get("availEq") or d.get("availBal")


def _bybit_balance(info: Mapping[str, Any], currency: str):
    c = next(x for x in info["result"]["list"][0]["coin"] if x.get("coin") == currency)
    return c.get("walletBalance"), c.get("equity"), c.get("availableToWithdraw")


REJECTED = "the exchange rejected the API key or its secret: check both were copied completely"

VENUES: Mapping[str, Venue] = {
    "binance": Venue(
        "binance",
        "binanceusdm",
        {"fetchCurrencies": False, "defaultType": "future"},
        {"-2014": "rejected_key", "-2015": "rejected_key", "-1022": "rejected_key", "-1021": "clock_skew"},
        {
            "-2014": "Binance says the API key has an invalid format: check it was copied completely",
            "-2015": (
                "Binance rejected the key: either the key is wrong, this computer's IP address is not on the key's "
                "whitelist, or the key lacks futures read permission"
            ),
            "-1022": "Binance rejected the request signature: the secret does not belong to this key",
        },
        probe=_binance_probe,
        permissions=_binance_permissions,
        balance_fields=_binance_balance,
    ),
    "okx": Venue(
        "okx",
        "okx",
        {"defaultType": "swap", "fetchMarkets": {"types": ["swap"]}},
        {"50111": "rejected_key", "50113": "rejected_key", "50105": "wrong_passphrase", "50102": "clock_skew", "50112": "clock_skew", "50110": "ip_not_whitelisted"},
        {
            "50111": "OKX does not know this API key",
            "50113": "OKX rejected the request signature: the secret does not belong to this key",
            "50105": "OKX rejected the passphrase of this API key",
        },
        probe=_okx_probe,
        permissions=_okx_permissions,
        balance_fields=_okx_balance,
    ),
    "bybit": Venue(
        "bybit",
        "bybit",
        {
            "defaultType": "swap",
            "defaultSubType": "linear",
            "fetchMarkets": {"types": ["linear"]},
            # Unified Trading Account; saves two discovery calls per session.
            "enableUnifiedAccount": True,
            "enableUnifiedMargin": False,
        },
        {"10003": "rejected_key", "10004": "rejected_key", "10002": "clock_skew", "10010": "ip_not_whitelisted"},
        {
            "10003": "Bybit does not know this API key",
            "10004": "Bybit rejected the request signature: the secret does not belong to this key",
        },
        probe=_bybit_probe,
        permissions=_bybit_permissions,
        balance_fields=_bybit_balance,
        balance_params={"type": "unified"},
    ),
}

STATUS_MESSAGES: Mapping[str, str] = {
    "accepted": "connected: the key works",
    "rejected_key": REJECTED,
    "wrong_passphrase": "the passphrase does not match this API key",
    "ip_not_whitelisted": "this computer's IP address is not on the API key's IP whitelist",
    "clock_skew": "this computer's clock differs too much from the exchange's: synchronize the system clock",
    "timeout": "the exchange did not answer in time",
    "error": "the exchange could not be reached or answered with an error",
}


def venue(exchange: str) -> Venue:
    try:
        return VENUES[exchange]
    except KeyError:
        raise ValueError(f"unknown exchange {exchange!r} (expected one of {', '.join(VENUES)})") from None


def binance_permissions(restrictions: Mapping[str, Any]) -> tuple[bool | None, bool | None]:
    """(can_trade, can_withdraw) from GET /sapi/v1/account/apiRestrictions."""
    trade_keys = ("enableFutures", "enableSpotAndMarginTrading", "enableMargin", "enableVanillaOptions", "enablePortfolioMarginTrading")
    can_trade = any(bool(restrictions.get(k)) for k in trade_keys)
    withdraw = restrictions.get("enableWithdrawals")
    return can_trade, (None if withdraw is None else bool(withdraw))


def okx_permissions(config: Mapping[str, Any]) -> tuple[bool | None, bool | None]:
    """From GET /api/v5/account/config's ``perm`` ("read_only,trade,withdraw")."""
    perm = config.get("perm")
    if not isinstance(perm, str):
        return None, None
    parts = {p.strip() for p in perm.split(",")}
    return "trade" in parts, "withdraw" in parts


def bybit_permissions(info: Mapping[str, Any]) -> tuple[bool | None, bool | None]:
    """From GET /v5/user/query-api: ``readOnly`` and the ``permissions`` lists."""
    perms = info.get("permissions") or {}
    read_only = info.get("readOnly")
    can_trade = None if read_only is None else not bool(int(read_only))
    wallet = perms.get("Wallet") or []
    can_withdraw = "Withdraw" in wallet if isinstance(wallet, list) else None
    return can_trade, can_withdraw
