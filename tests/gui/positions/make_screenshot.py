"""Screenshot of the positions overlay on the demo market: an account position from the loopback fake
exchange (signed requests, in-memory keyring) and a what-if position.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.gui.positions.make_screenshot docs/screenshots/positions.png [dialogs_dir]

Not a test (pytest does not collect it): a way to look at the feature as a trader sees it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time


def main(out: str, dialogs_dir: str | None = None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["CASCADE_TEST"] = "1"
    os.environ["CASCADE_SETTINGS_DIR"] = tempfile.mkdtemp(prefix="cascade-shot-")
    from analytics.positions import WhatIfPosition
    from gui.app import make_app
    from gui.main_window import MainWindow
    from gui.positions import install_positions_ui
    from gui.positions.saved import save_accounts
    from gui.sources import SourceSpec
    from market.credentials import AccountInfo, ApiSecret, CredentialStore
    from tests.fake_exchange import FakeExchange
    from tests.fake_exchange.private import ApiKey, PrivateState, extra_routes
    from tests.unit.positions.memory_keyring import MemoryKeyring

    app = make_app()
    win = MainWindow(SourceSpec("demo", seed=7, speed=1.0, history_days=3))
    win.resize(1600, 960)
    win.show()

    def pump(cond, timeout=30.0) -> bool:
        t0 = time.time()
        while not cond() and time.time() - t0 < timeout:
            app.processEvents()
            time.sleep(0.02)
        return cond()

    if not pump(lambda: win.terminal.has_drawn_data() and win.terminal.result.liquidity is not None):
        print("no data drawn", file=sys.stderr)
        return 1
    price = float(win.terminal.chart.last_close)
    key = ApiKey("screenshot-key-000000", "screenshot-secret-000", "")
    # A real-looking short: isolated 15x, liquidation from the exchange's own formula.
    entry = round(price * 0.992, 1)
    real = WhatIfPosition(entry, 1.2, 15, "short", "isolated")
    state = PrivateState(keys=[key], position_qty=-1.2, entry=entry, mark=round(price, 1), liquidation=round(real.liquidation_price(), 1),
                         leverage=15, margin_mode="isolated", wallet_usdt=25_000)
    store = CredentialStore(backend=MemoryKeyring())
    info = AccountInfo.new("main", "binance")
    store.add(info, ApiSecret(key.key, key.secret))
    save_accounts(win.settings, [info])
    with FakeExchange(hours=1, extra_routes=[extra_routes(state)]) as fx:
        ctl = install_positions_ui(win, store=store, urls_override=fx.url_overrides(), interval_ms=60_000)
        dialog = ctl.open_what_if()
        dialog.side.setCurrentIndex(dialog.side.findData("long"))
        dialog.entry.setValue(round(price * 1.004, 1))
        dialog.qty.setValue(2.0)
        dialog.leverage.setValue(25)
        dialog.label_edit.setText("add on breakout")
        if dialogs_dir:
            pump(lambda: False, 0.3)
            dialog.grab().save(os.path.join(dialogs_dir, "whatif_dialog.png"))
        dialog.add_current()
        dialog.close()
        if not pump(lambda: ctl.last_update is not None and len(ctl.overlay.drawn) == 2):
            print("positions not drawn", file=sys.stderr)
            return 1
        if dialogs_dir:
            acc = ctl.open_accounts()
            pump(lambda: acc.keyring_ok is not None, 5)
            with_trading = ApiKey("trading-key-11111111", "trading-secret-2222", can_trade=True, can_withdraw=True)
            state.keys.append(with_trading)
            acc.key_edit.setText(with_trading.key)
            acc.secret_edit.setText(with_trading.secret)
            acc.test_fields()
            pump(lambda: acc.result_label.text().startswith(("Accepted", "Rejected", "Error", "Timeout")), 20)
            pump(lambda: False, 0.3)
            acc.grab().save(os.path.join(dialogs_dir, "accounts_dialog.png"))
            acc.close()
        pump(lambda: False, 1.0)  # let the axes and labels settle
        ok = win.grab().save(out, "PNG")
        print(ctl.overlay.card_text())
        win.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "positions.png", sys.argv[2] if len(sys.argv) > 2 else None))
