"""Private exchange calls through ccxt: test a key, fetch positions and balance, normalized.

Every public function has an async form (``*_async``) and a blocking one that runs its own event loop
(for a QThread worker). ccxt is imported lazily so importing this module costs nothing.

Secrets: the key, secret and passphrase go to ccxt and nowhere else. Every failure is re-raised as an
``AccountError`` carrying a classified status and a scrubbed message; the ccxt exception is not chained
(it is dropped before raising), because its text or attached request could identify the key.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Mapping

from analytics.liqprice import Bracket, canonical_symbol
from market.accounts.model import Balance, ConnectionResult, Position
from market.accounts.scrub import AccountError, ScrubbingLogger, register_secrets, scrub
from market.accounts.venues import STATUS_MESSAGES, VENUES, Venue, venue
from market.credentials import AccountInfo, ApiSecret

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
_CODE_RE = re.compile(r'"(?:code|retCode)"\s*:\s*"?(-?\d+)')
_HOST_RE = re.compile(r"^https?://[^/]+")


def _rewrite_urls(api: Any, base: str) -> Any:
    if isinstance(api, dict):
        return {k: _rewrite_urls(v, base) for k, v in api.items()}
    if isinstance(api, str) and api.startswith("http"):
        return _HOST_RE.sub(base.rstrip("/"), api)
    return api


def _merge(dst: dict, src: Mapping[str, Any]) -> dict:
    out = dict(dst)
    for k, v in src.items():
        out[k] = _merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), dict) else v
    return out


def apply_urls_override(exchange: Any, v: Venue, urls_override: Any) -> None:
    """Point an exchange at another host (a loopback fake exchange).

    ``urls_override`` is either one base URL (every REST host replaced, paths kept), or a mapping: a key
    equal to the exchange name or ccxt id selects that entry (again a base URL or a mapping); a mapping
    with a "rest" entry gives the REST base URL (the shape LiveSource takes:
    ``{"binance": {"rest": "http://127.0.0.1:PORT", "ws": ...}}``); any other mapping is merged over
    ``exchange.urls['api']``."""
    if urls_override is None:
        return
    if isinstance(urls_override, Mapping) and "rest" in urls_override:
        apply_urls_override(exchange, v, urls_override["rest"])
        return
    if isinstance(urls_override, Mapping):
        for name in (v.name, v.ccxt_id):
            if name in urls_override:
                apply_urls_override(exchange, v, urls_override[name])
                return
        exchange.urls["api"] = _merge(exchange.urls["api"], urls_override)
        return
    exchange.urls["api"] = _rewrite_urls(exchange.urls["api"], str(urls_override))


def _open(account: AccountInfo, secret: ApiSecret, urls_override: Any, timeout_s: float):
    import ccxt.async_support as ccxt_async

    v = venue(account.exchange)
    config: dict[str, Any] = {
        "apiKey": secret.key,
        "secret": secret.secret,
        "enableRateLimit": True,
        "timeout": int(timeout_s * 1000),
        "options": dict(v.options),
    }
    if secret.passphrase:
        config["password"] = secret.passphrase
    # Any log handler with a SecretFilter (the app's log file) masks these from now on, whatever logger
    # (aiohttp, asyncio) a spelling of them reaches.
    register_secrets(secret.values())
    # ccxt logs request headers (key, OKX passphrase) at DEBUG through exchange.logger: scrub them.
    config["logger"] = ScrubbingLogger(logging.getLogger("market.accounts.ccxt"), secret.values())
    exchange = getattr(ccxt_async, v.ccxt_id)(config)
    # Currencies come from signed wallet endpoints that a read-only futures key may not reach; not needed here.
    exchange.has = {**exchange.has, "fetchCurrencies": False}
    apply_urls_override(exchange, v, urls_override)
    return exchange, v


def classify(exc: BaseException, v: Venue, secrets: tuple[str, ...]) -> AccountError:
    """Map a ccxt (or network) exception to a status and a scrubbed, user-readable message."""
    import ccxt

    text = str(exc)
    m = _CODE_RE.search(text)
    code = m.group(1) if m else None
    if code is not None and code in v.codes:
        status = v.codes[code]
        message = v.code_messages.get(code, STATUS_MESSAGES[status])
    elif isinstance(exc, (ccxt.RequestTimeout, asyncio.TimeoutError, TimeoutError)):
        status, message = "timeout", STATUS_MESSAGES["timeout"]
    elif isinstance(exc, ccxt.InvalidNonce):
        status, message = "clock_skew", STATUS_MESSAGES["clock_skew"]
    elif isinstance(exc, ccxt.AuthenticationError):
        status, message = "rejected_key", STATUS_MESSAGES["rejected_key"]
    elif isinstance(exc, ccxt.PermissionDenied):
        status, message = "error", "the exchange refused this request: the key lacks a permission Cascade needs (read)"
    elif isinstance(exc, ccxt.NetworkError):
        status, message = "error", "the exchange could not be reached (network error)"
    else:
        status, message = "error", f"unexpected answer from the exchange ({type(exc).__name__})"
    detail = f" [code {code}]" if code else ""
    return AccountError(status, scrub(f"{v.name}: {message}{detail}", secrets), code)


async def _guarded(account: AccountInfo, secret: ApiSecret, urls_override: Any, timeout_s: float, work):
    try:
        exchange, v = _open(account, secret, urls_override, timeout_s)
    except ValueError as exc:  # unknown exchange: the message names only the exchange
        raise AccountError("error", str(exc)) from None
    failure: AccountError | None = None
    result = None
    try:
        result = await work(exchange, v)
    except AccountError as exc:
        failure = exc
    except Exception as exc:  # ccxt, aiohttp, asyncio: all become one scrubbed AccountError
        failure = classify(exc, v, secret.values())
    finally:
        try:
            await exchange.close()
        except Exception:
            pass
    if failure is not None:
        log.debug("%s account %s: %s (%s)", v.name, account.id, failure, failure.status)
        # Raised outside the except block so the ccxt exception is not even kept as __context__.
        raise AccountError(failure.status, str(failure), failure.code)
    return result


async def _permissions(exchange: Any, v: Venue) -> tuple[bool | None, bool | None]:
    """Best effort: a failure here must not turn an accepted key into a failed test."""
    try:
        if v.permissions is not None:
            return await v.permissions(exchange)
    except Exception as exc:
        log.debug("%s: permissions not available (%s)", v.name, type(exc).__name__)
    return None, None


async def _signed_probe(exchange: Any, v: Venue) -> None:
    """One cheap signed call that needs no market metadata."""
    if v.probe is None:
        raise AccountError("error", f"{v.name}: no signed check known for this exchange")
    await v.probe(exchange)


async def test_connection_async(account: AccountInfo, secret: ApiSecret, urls_override: Any = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> ConnectionResult:
    async def work(exchange, v):
        await _signed_probe(exchange, v)
        return await _permissions(exchange, v)

    try:
        can_trade, can_withdraw = await _guarded(account, secret, urls_override, timeout_s, work)
    except AccountError as exc:
        return ConnectionResult(exc.status, str(exc))  # type: ignore[arg-type]
    result = ConnectionResult("accepted", f"{account.exchange}: {STATUS_MESSAGES['accepted']}", can_trade, can_withdraw)
    if result.warning:
        result = ConnectionResult("accepted", f"{result.message}. {result.warning}", can_trade, can_withdraw)
    return result


def test_connection(account: AccountInfo, secret: ApiSecret, urls_override: Any = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> ConnectionResult:
    """Try the key with one signed call; never raises for exchange/network failures."""
    return asyncio.run(test_connection_async(account, secret, urls_override, timeout_s))


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name
test_connection_async.__test__ = False  # type: ignore[attr-defined]


def _f(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


# Bybit GET /v5/account/info ``marginMode`` (https://bybit-exchange.github.io/docs/v5/account/account-info):
# ISOLATED_MARGIN, REGULAR_MARGIN (cross) or PORTFOLIO_MARGIN (cross margining across positions).
BYBIT_ACCOUNT_MARGIN = {"ISOLATED_MARGIN": "isolated", "REGULAR_MARGIN": "cross", "PORTFOLIO_MARGIN": "portfolio"}


def _binance_leverage(p: Mapping[str, Any], notional_usd: float) -> float | None:
    """Binance v3 positionRisk has no leverage: notional / the position's own initial margin.

    ``positionInitialMargin`` is "initial margin required for positions with current mark price";
    ``initialMargin`` adds ``openOrderInitialMargin`` (resting orders) and would read the leverage low
    (Binance USDⓈ-M docs, Account Information V3 / Position Information V3)."""
    info = p.get("info") or {}
    im = _f(info.get("positionInitialMargin"))
    if im is None:
        im = _f(p.get("initialMargin"))
    return round(notional_usd / im, 2) if im else None


def normalize_position(exchange: str, p: Mapping[str, Any], account_margin_mode: str | None = None) -> Position | None:
    """A ccxt unified position -> ``Position``; None for an empty (zero-size) one.

    ``account_margin_mode``: Bybit's account-level mode (GET /v5/account/info), used when the position
    itself does not say (ccxt 4.5 leaves ``marginMode`` None for Bybit)."""
    contracts = _f(p.get("contracts")) or 0.0
    size = _f(p.get("contractSize")) or 1.0
    qty = abs(contracts * size)
    if qty == 0:
        return None
    side = p.get("side") or ("long" if contracts > 0 else "short")
    entry = _f(p.get("entryPrice")) or 0.0
    mark = _f(p.get("markPrice"))
    notional = _f(p.get("notional"))
    # At mark where known, so the three venues agree (Bybit's positionValue is at entry).
    notional_usd = qty * mark if mark else (abs(notional) if notional else qty * entry)
    leverage = _f(p.get("leverage"))
    if leverage is None:
        leverage = _binance_leverage(p, notional_usd)
    liq = _f(p.get("liquidationPrice"))
    margin_mode = p.get("marginMode")
    if margin_mode is None and account_margin_mode is not None:
        margin_mode = account_margin_mode
    elif margin_mode is None:
        # Bybit position list ``tradeMode`` (0 cross, 1 isolated) is meaningful only on classic accounts;
        # on unified trading accounts it is deprecated and always 0 (docs v5/position), so it is the
        # last resort when the account's own mode could not be read.
        trade_mode = (p.get("info") or {}).get("tradeMode")
        margin_mode = {0: "cross", 1: "isolated", "0": "cross", "1": "isolated"}.get(trade_mode)
    return Position(
        exchange=exchange,
        symbol=str(p.get("symbol")),
        side=str(side),
        qty_base=qty,
        entry_price=entry,
        mark_price=mark,
        liquidation_price=liq if liq else None,
        leverage=leverage,
        margin_mode=margin_mode,
        unrealized_pnl=_f(p.get("unrealizedPnl")),
        notional_usd=notional_usd,
    )


async def fetch_positions_async(account: AccountInfo, secret: ApiSecret, urls_override: Any = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[Position]:
    async def work(exchange, v):
        raw = await exchange.fetch_positions()
        account_mode = None
        if v.name == "bybit" and any(r.get("marginMode") is None for r in raw):
            account_mode = await bybit_account_margin_mode(exchange)
        return [p for p in (normalize_position(v.name, r, account_mode) for r in raw) if p is not None]

    return await _guarded(account, secret, urls_override, timeout_s, work)


def parse_bybit_account_info(raw: Any) -> str | None:
    """GET /v5/account/info -> 'isolated' | 'cross' | 'portfolio', or None when it does not say.

    Classic (non-unified) accounts (``unifiedMarginStatus`` 1) set the mode per position: None then, so
    the position's ``tradeMode`` decides."""
    result = raw.get("result") if isinstance(raw, Mapping) else None
    if not isinstance(result, Mapping):
        return None
    if str(result.get("unifiedMarginStatus", "")) == "1":
        return None
    return BYBIT_ACCOUNT_MARGIN.get(str(result.get("marginMode", "")).upper())


async def bybit_account_margin_mode(exchange: Any) -> str | None:
    try:
        return parse_bybit_account_info(await exchange.privateGetV5AccountInfo())
    except Exception:  # an older key without account-read permission: the position's tradeMode stays the fallback
        return None


def fetch_positions(account: AccountInfo, secret: ApiSecret, urls_override: Any = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[Position]:
    """Open positions, normalized. Raises ``AccountError`` (scrubbed) on failure."""
    return asyncio.run(fetch_positions_async(account, secret, urls_override, timeout_s))


def normalize_balance(exchange: str, raw: Mapping[str, Any], currency: str = "USDT") -> Balance:
    info = raw.get("info") or {}
    wallet = equity = available = None
    fields = VENUES[exchange].balance_fields if exchange in VENUES else None
    try:
        if fields is not None:
            wallet, equity, available = (_f(x) for x in fields(info, currency))
    except (StopIteration, KeyError, IndexError, TypeError, AttributeError):
        pass
    unified = raw.get(currency) or {}
    if wallet is None:
        wallet = _f(unified.get("total")) or 0.0
    if available is None:
        available = _f(unified.get("free"))
    return Balance(exchange, currency, wallet, equity, available)


async def fetch_balance_async(account: AccountInfo, secret: ApiSecret, urls_override: Any = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> Balance:
    async def work(exchange, v):
        return normalize_balance(v.name, await exchange.fetch_balance(dict(v.balance_params)))

    return await _guarded(account, secret, urls_override, timeout_s, work)


def fetch_balance(account: AccountInfo, secret: ApiSecret, urls_override: Any = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> Balance:
    """The USDT futures wallet, normalized. Raises ``AccountError`` (scrubbed) on failure."""
    return asyncio.run(fetch_balance_async(account, secret, urls_override, timeout_s))


def parse_binance_brackets(raw: Any, symbol: str = "BTCUSDT") -> tuple[Bracket, ...]:
    """GET /fapi/v1/leverageBracket -> analytics Brackets for ``symbol`` (sorted by floor)."""
    rows = raw if isinstance(raw, list) else [raw]
    entry = next((r for r in rows if isinstance(r, Mapping) and r.get("symbol") == symbol), None)
    if entry is None:
        raise AccountError("error", f"binance: no leverage brackets for {symbol}")
    out = []
    for b in entry.get("brackets", []):
        out.append(Bracket(float(b["notionalFloor"]), float(b["notionalCap"]), float(b["initialLeverage"]), float(b["maintMarginRatio"]), float(b["cum"])))
    if not out:
        raise AccountError("error", f"binance: empty leverage brackets for {symbol}")
    return tuple(sorted(out, key=lambda b: b.floor))


async def fetch_brackets_async(account: AccountInfo, secret: ApiSecret, symbol: str = "BTC/USDT:USDT", urls_override: Any = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> tuple[Bracket, ...]:
    if account.exchange != "binance":
        raise AccountError("error", f"{account.exchange}: live brackets are only fetched from Binance here")
    raw_symbol = canonical_symbol(symbol)

    async def work(exchange, v):
        return parse_binance_brackets(await exchange.fapiPrivateGetLeverageBracket({"symbol": raw_symbol}), raw_symbol)

    return await _guarded(account, secret, urls_override, timeout_s, work)


def fetch_brackets(account: AccountInfo, secret: ApiSecret, symbol: str = "BTC/USDT:USDT", urls_override: Any = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> tuple[Bracket, ...]:
    """The account's current Binance leverage brackets for ``symbol`` (signed; needs a key)."""
    return asyncio.run(fetch_brackets_async(account, secret, symbol, urls_override, timeout_s))
