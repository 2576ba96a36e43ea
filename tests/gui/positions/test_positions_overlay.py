"""Positions on the chart: fetched by the worker from the fake exchange (signed), and what-if positions,
drawn on the price chart and the liquidation map at exactly the prices they have."""

from __future__ import annotations

import math

import pytest
from PySide6 import QtCore

from analytics.positions import WhatIfPosition, cluster_context, distance_to_liquidation
from gui.positions import install_positions_ui
from gui.positions.saved import load_what_ifs, save_accounts
from gui.positions.worker import PositionsWorker
from gui.workers import WorkerThread
from market import accounts
from market.credentials import ApiSecret
from tests.gui.conftest import wait_drawn
from tests.gui.positions.conftest import KEY, stored_account

DASH = QtCore.Qt.PenStyle.DashLine
SOLID = QtCore.Qt.PenStyle.SolidLine


def test_worker_fetches_positions_and_balance_in_its_thread(qtbot, store, fake):
    info = stored_account(store, "okx")
    worker = PositionsWorker(store, (info,), interval_ms=60_000, urls_override=fake.urls, timeout_s=5)
    thread = WorkerThread(worker, "positions-test")
    try:
        with qtbot.waitSignal(worker.updated, timeout=20000) as sig:
            thread.start(worker.start)
        update = sig.args[0]
    finally:
        worker.request_stop()
        thread.shutdown("stop")
    assert not thread.thread.isRunning()
    [snap] = update.accounts
    assert snap.error == "" and snap.account == info
    want = accounts.fetch_positions(info, ApiSecret(KEY.key, KEY.secret, KEY.passphrase), fake.urls, timeout_s=5)
    assert snap.positions == tuple(want)
    assert snap.balance.wallet == fake.state.wallet_usdt
    with pytest.raises(Exception):  # frozen: safe to hand across threads
        snap.error = "x"  # type: ignore[misc]


def test_worker_turns_a_failure_into_a_sentence_per_account(qtbot, store, fake):
    good = stored_account(store, "bybit", label="good")
    bad = stored_account(store, "binance", label="bad")
    store.remove(bad.id)  # the key vanished from the keyring
    worker = PositionsWorker(store, (good, bad), interval_ms=60_000, urls_override=fake.urls, timeout_s=5)
    thread = WorkerThread(worker, "positions-test")
    try:
        with qtbot.waitSignal(worker.updated, timeout=20000) as sig:
            thread.start(worker.start)
    finally:
        worker.request_stop()
        thread.shutdown("stop")
    g, b = sig.args[0].accounts
    assert g.error == "" and len(g.positions) == 1
    assert b.positions == () and "no stored key" in b.error


def test_account_positions_appear_on_the_chart_and_the_map(make_window, qtbot, store, fake):
    st = fake.state
    st.entry, st.mark, st.liquidation, st.position_qty, st.leverage = 84_000.0, 83_500.0, 76_420.0, 0.5, 10.0
    win = make_window()
    result = wait_drawn(qtbot, win)
    info = stored_account(store, "binance", label="main")
    save_accounts(win.settings, [info])
    ctl = install_positions_ui(win, store=store, urls_override=fake.urls, interval_ms=60_000)
    qtbot.waitUntil(lambda: ctl.last_update is not None and bool(ctl.overlay.drawn), timeout=20000)
    [pos] = ctl.last_update.accounts[0].positions
    assert (pos.entry_price, pos.liquidation_price, pos.side) == (84_000.0, 76_420.0, "long")
    [d] = ctl.overlay.drawn
    assert not d.position.what_if
    assert d.entry_line.value() == pos.entry_price and d.liq_line.value() == pos.liquidation_price
    assert d.map_entry_line.value() == pos.entry_price and d.map_liq_line.value() == pos.liquidation_price
    assert d.entry_line in win.terminal.price.plot.items and d.map_liq_line in win.terminal.liqmap.plot.items
    assert d.entry_line.pen.style() == SOLID and d.liq_line.pen.style() == SOLID
    # The card: side, size, leverage, margin mode, unrealized PnL, distance in % and $, cluster context.
    text = ctl.overlay.card_text()
    pct, usd = distance_to_liquidation(pos, pos.mark_price)
    assert "Binance · main: LONG 0.5 BTC @ 84,000" in text and "10x cross" in text
    assert "uPnL −$250.00" in text  # 0.5 × (83,500 − 84,000)
    assert f"({pct:.1f}% / $7.1K away)" in text and pct == pytest.approx((83_500 - 76_420) / 83_500 * 100)
    m = win.terminal.result.liquidity.map
    want = cluster_context(76_420.0, "long", m.bin_edges, m.long_usd, m.short_usd)
    assert want is not None and want.startswith("your long liquidates at 76,420")
    assert want in text
    # The account's wallet (fake: 10,000 USDT; equity = wallet + uPnL).
    assert "Binance · main: wallet 10,000.00 USDT · equity 9,750.00" in text and "· updated " in text
    # Refresh now: another round at once (the interval is a minute here).
    before = ctl.last_update.round
    fake.state.wallet_usdt = 12_345.67
    win.actions_by_name["refresh_positions"].trigger()
    qtbot.waitUntil(lambda: ctl.last_update.round == before + 1, timeout=20000)
    # A what-if opened now starts from the account's wallet for cross margin.
    assert ctl.open_what_if().wallet.value() == 12_345.67
    # The label on the liquidation line says how far it is.
    assert "liq 76,420" in d.liq_line.label.format
    win.close()
    assert ctl.worker is None and ctl._retired == []  # the thread ended with the window


def test_a_removed_account_takes_its_positions_off_the_chart(make_window, qtbot, store, fake):
    win = make_window()
    wait_drawn(qtbot, win)
    info = stored_account(store, "bybit")
    save_accounts(win.settings, [info])
    ctl = install_positions_ui(win, store=store, urls_override=fake.urls, interval_ms=60_000)
    qtbot.waitUntil(lambda: len(ctl.overlay.drawn) == 1, timeout=20000)
    assert win.actions_by_name["refresh_positions"].isEnabled()
    ctl.set_accounts(())  # returns at once (a fetch in flight is not waited for); the thread then ends
    assert ctl.overlay.drawn == [] and ctl.worker is None
    assert not win.actions_by_name["refresh_positions"].isEnabled()
    qtbot.waitUntil(lambda: all(not t.thread.isRunning() for _w, t in ctl._retired), timeout=15000)


def test_positions_on_other_symbols_are_listed_not_drawn(qtbot):
    from gui.app import make_app
    from gui.panels.liqmap import LiquidationMapPanel
    from gui.panels.price import PricePanel
    from gui.positions.describe import from_position
    from gui.positions.overlay import PositionOverlay
    from gui.theme import DARK
    from market.accounts import Position
    from market.credentials import AccountInfo

    make_app()
    price, liqmap = PricePanel(DARK), LiquidationMapPanel(DARK)
    qtbot.addWidget(price)
    qtbot.addWidget(liqmap)
    overlay = PositionOverlay(price, liqmap, DARK)
    acct = AccountInfo("a1", "main", "okx")
    btc = Position("okx", "BTC/USDT:USDT", "short", 0.3, 90_000.0, 89_000.0, 99_000.0, 20.0, "isolated", 300.0, 26_700.0)
    eth = Position("okx", "ETH/USDT:USDT", "long", 2.0, 3_000.0, 3_100.0, 2_500.0, 5.0, "cross", 200.0, 6_200.0)
    overlay.set_real([from_position(acct, btc), from_position(acct, eth)])
    overlay.set_market("BTC/USDT:USDT", 89_000.0)
    [d] = overlay.drawn
    assert (d.entry_line.value(), d.liq_line.value()) == (90_000.0, 99_000.0)
    text = overlay.card_text()
    assert "OKX · main: SHORT 0.3 BTC @ 90,000 · 20x isolated · uPnL +$300.00 · liq 99,000 (11.2% / $10K away)" in text
    assert "1 open position on other symbols: ETHUSDT" in text
    # A short's liquidation above the price: its label hangs below the line, toward the price.
    assert d.liq_line.label.anchors[0] == (0, 0) and d.entry_line.label.anchors[0] == (0, 1)
    # A new price (every analytics result) updates the texts in place; the lines are not recreated.
    from gui.positions.describe import from_what_if

    w = WhatIfPosition(90_000, 0.1, 10, "long")
    overlay.set_what_ifs([from_what_if(0, w)])
    real, what_if = overlay.drawn
    overlay.set_market("BTC/USDT:USDT", 94_500.0)
    assert [x.liq_line for x in overlay.drawn] == [real.liq_line, what_if.liq_line]
    # The what-if is measured from the chart's price, the account position from the exchange's mark.
    # LP = (900 − 9,000) / (0.1·0.004 − 0.1) = 81,325.30; (94,500 − 81,325.30) / 94,500 = 13.94 %
    assert w.liquidation_price() == pytest.approx(8_100 / 0.0996)
    pct = (94_500 - w.liquidation_price()) / 94_500 * 100
    assert f"{pct:.1f}% / $13.2K away" in what_if.liq_line.label.format and pct == pytest.approx(13.9415, abs=1e-3)
    assert "11.2% / $10K away" in real.liq_line.label.format


def test_what_if_is_drawn_dashed_at_the_analytics_liquidation_price(make_window, qtbot):
    win = make_window()
    wait_drawn(qtbot, win)
    ctl = install_positions_ui(win)
    assert "what_if" in win.actions_by_name and "accounts" in win.actions_by_name
    dialog = ctl.open_what_if()
    dialog.side.setCurrentIndex(dialog.side.findData("long"))
    dialog.margin_mode.setCurrentIndex(dialog.margin_mode.findData("isolated"))
    dialog.entry.setValue(80_000)
    dialog.qty.setValue(0.1)
    dialog.leverage.setValue(10)
    # Hand-computed (Binance one-way, isolated): margin 800, bracket 1 (MMR 0.4 %, cum 0):
    # LP = (800 − 0.1·80,000) / (0.1·0.004 − 0.1) = −7,200 / −0.0996 = 72,289.157
    assert "72,289" in dialog.preview.text()
    with qtbot.waitSignal(dialog.what_ifs_changed, timeout=2000):
        dialog.add_button.click()
    w = WhatIfPosition(80_000, 0.1, 10, "long", "isolated")
    [d] = ctl.overlay.drawn
    assert d.position.what_if
    assert d.liq_line.value() == pytest.approx(w.liquidation_price()) == pytest.approx(7_200 / 0.0996)
    assert d.entry_line.value() == 80_000
    assert d.entry_line.pen.style() == DASH and d.liq_line.pen.style() == DASH and d.map_liq_line.pen.style() == DASH
    assert "WHAT-IF LONG 0.1 BTC" in d.entry_line.label.format
    # The overlay follows the theme (the light theme's darker violet).
    from gui.positions.overlay import WHAT_IF_COLORS

    assert d.liq_line.pen.color().name() == WHAT_IF_COLORS["dark"]
    win.actions_by_name["theme_light"].setChecked(True)
    [d] = ctl.overlay.drawn
    assert d.liq_line.pen.color().name() == WHAT_IF_COLORS["light"] and d.liq_line.pen.style() == DASH
    win.actions_by_name["theme_light"].setChecked(False)
    # Saved locally (plain numbers), survives a new dialog and window set-up, and is removable.
    assert load_what_ifs(win.settings) == [WhatIfPosition(80_000.0, 0.1, 10.0, "long", "isolated", None, "binance", "BTCUSDT", "")]
    dialog.close()
    again = ctl.open_what_if()
    assert again.list.count() == 1
    again.list.setCurrentRow(0)
    again.remove_button.click()
    assert ctl.overlay.drawn == [] and load_what_ifs(win.settings) == []


def test_cross_what_if_short_uses_the_wallet_and_log_scale_keeps_the_level(make_window, qtbot):
    win = make_window()
    wait_drawn(qtbot, win)
    ctl = install_positions_ui(win)
    dialog = ctl.open_what_if()
    dialog.side.setCurrentIndex(dialog.side.findData("short"))
    dialog.margin_mode.setCurrentIndex(dialog.margin_mode.findData("cross"))
    dialog.entry.setValue(80_000)
    dialog.qty.setValue(1.0)
    dialog.leverage.setValue(20)
    dialog.wallet.setValue(10_000)
    assert dialog.wallet.isEnabled()
    dialog.add_current()
    # Cross short: LP = (10,000 + 80,000·1) / (1·0.005 + 1) with bracket 2 (notional 80,000: MMR 0.5 %, cum 50)
    # → (10,000 + 50 + 80,000) / 1.005 = 89,601.99
    want = WhatIfPosition(80_000, 1.0, 20, "short", "cross", 10_000).liquidation_price()
    assert want == pytest.approx(90_050 / 1.005)
    [d] = ctl.overlay.drawn
    assert d.liq_line.value() == pytest.approx(want)
    win.actions_by_name["log_scale"].setChecked(True)
    [d] = ctl.overlay.drawn
    assert d.liq_line.value() == pytest.approx(math.log10(want))
    win.actions_by_name["log_scale"].setChecked(False)


def test_invalid_what_if_is_refused_with_a_reason(qtbot, ini_settings):
    from gui.app import make_app
    from gui.dialogs.whatif import WhatIfDialog

    make_app()
    settings, _ = ini_settings
    dialog = WhatIfDialog(settings, 80_000.0)
    qtbot.addWidget(dialog)
    dialog.entry.setValue(80_000)
    dialog.qty.setValue(1.0)
    dialog.leverage.setValue(125)  # notional 80,000 is in the 100x bracket (50,000–250,000)
    assert "above the 100x allowed" in dialog.problem.text()
    dialog.margin_mode.setCurrentIndex(dialog.margin_mode.findData("cross"))
    dialog.leverage.setValue(10)
    dialog.wallet.setValue(5_000)  # below the 8,000 initial margin
    assert "below the initial margin" in dialog.problem.text()
    assert load_what_ifs(settings) == []


def test_the_main_window_has_the_menu_and_draws_saved_what_ifs_at_start(make_window, qtbot):
    from gui.settings import make_settings
    from gui.positions.saved import save_what_ifs

    saved = WhatIfPosition(84_000, 0.25, 50, "short", "isolated", label="saved")
    save_what_ifs(make_settings(), [saved])
    win = make_window()
    wait_drawn(qtbot, win)
    menus = {a.text().replace("&", ""): a.menu() for a in win.menuBar().actions() if a.menu() is not None}
    entries = [a.text().replace("&", "") for a in menus["Settings"].actions()]
    assert "Exchange accounts…" in entries and "What-if position…" in entries
    ctl = win.services.kept("positions")
    assert ctl.worker is None  # no account saved: no thread, no keyring access
    [d] = ctl.overlay.drawn
    assert d.position.what_if and d.liq_line.value() == pytest.approx(saved.liquidation_price())
    win.actions_by_name["what_if"].trigger()
    assert ctl.what_if_dialog is not None and ctl.what_if_dialog.list.count() == 1
