"""Screenshot of the Study view on the demo market (60 days, 1-minute candles), a point selected.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.gui.study.make_screenshot docs/screenshots/study.png

Not a test (pytest does not collect it): a way to look at the view as a trader sees it.
"""

from __future__ import annotations

import os
import sys
import time


def main(out: str, days: float = 60.0, band: float = 2.0, horizon_h: int = 4) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from gui.app import make_app
    from gui.study.view import StudyView
    from gui.theme import DARK, apply_qt_theme
    from market.simulator import DemoSource

    app = make_app()
    apply_qt_theme(app, DARK)
    src = DemoSource(seed=7, history_days=days)
    frames = src.history(src.info().symbols[0])
    src.close()
    view = StudyView(DARK)
    view.resize(1180, 820)
    view.set_data(frames)
    view.band.setValue(band)
    view.horizon.setCurrentIndex(view.horizon.findData(horizon_h * 3_600_000))
    view.show()
    view.run()
    t0 = time.time()
    while view.result is None and time.time() - t0 < 120:
        app.processEvents()
        time.sleep(0.02)
    if view.result is None:
        print("no result: " + view.status.text(), file=sys.stderr)
        return 1
    o = view.result.observations
    view.select(int(o.log_ratio.argmax()))
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    view.grab().save(out)
    view.shutdown()
    print(out, os.path.getsize(out), "bytes;", view.status.text())
    return 0


if __name__ == "__main__":
    sys.exit(main(*(sys.argv[1:2] or ["study.png"])))
