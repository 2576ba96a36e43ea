"""The Study view: the worker's result is run_study's, the scatter is the observations, a click
asks for that observation's moment, and the main window's replay (and its map) then stand at that moment."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6 import QtCore

from analytics.imbalance import longs_at_risk, shorts_at_risk
from analytics.study import HOUR_MS, run_study
from gui.study import install_study_ui
from cascade_vocab.formatting import format_ratio
from gui.study.axis import ratio_ticks, RatioAxis
from gui.study.summary import summary_lines
from gui.study.view import StudyView
from gui.study.worker import StudyCancelled, StudyRequest, StudyWorker, compute_study
from gui.sources import SourceSpec
from gui.theme import DARK
from market.series import MarketFrames
from market.simulator import DemoSource
from market.store import save_snapshot
from tests.gui.conftest import wait_drawn, wait_result

BAND, EVERY, HORIZON = 2.0, HOUR_MS, 4 * HOUR_MS


@pytest.fixture(scope="module")
def frames():
    src = DemoSource(seed=11, history_days=3)
    f = src.history(src.info().symbols[0])
    src.close()
    return f


@pytest.fixture(scope="module")
def oracle(frames):
    return run_study(frames.candles, frames.open_interest, every_ms=EVERY, horizon_ms=HORIZON, band_pct=BAND,
                     timeframe_ms=frames.timeframe_ms)


def same_result(a, b) -> None:
    for name in a.observations.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(a.observations, name), getattr(b.observations, name), err_msg=name)
    np.testing.assert_array_equal(a.bucket_index, b.bucket_index)
    assert a.to_json_dict() == b.to_json_dict()


@pytest.fixture
def worker(qtbot):
    w = StudyWorker()
    yield w
    assert w.shutdown(10000)


@pytest.fixture
def view(qtbot, frames):
    v = StudyView(DARK)
    qtbot.addWidget(v)
    v.set_data(frames)
    v.band.setValue(BAND)
    v.every.setCurrentIndex(v.every.findData(EVERY))
    v.horizon.setCurrentIndex(v.horizon.findData(HORIZON))
    v.show()
    yield v
    v.shutdown()
    assert not v.worker.busy


def run_view(qtbot, v):
    with qtbot.waitSignal(v.result_shown, timeout=20000) as sig:
        v.run()
    return sig.args[0]


# -- worker ---------------------------------------------------------------------------------------------


def test_worker_result_equals_run_study_on_the_same_frames(qtbot, worker, frames, oracle):
    assert oracle.n > 20  # a study with something in it
    with qtbot.waitSignal(worker.finished, timeout=20000) as sig:
        worker.submit(StudyRequest(frames, EVERY, HORIZON, BAND, job=7))
    job, result = sig.args
    assert job == 7
    same_result(result, oracle)


def test_worker_newest_request_wins_and_every_job_ends_once(qtbot, worker, frames):
    ends: list[tuple[str, int]] = []
    results = {}
    worker.finished.connect(lambda j, r: (ends.append(("finished", j)), results.__setitem__(j, r)))
    worker.cancelled.connect(lambda j: ends.append(("cancelled", j)))
    worker.failed.connect(lambda j, m: ends.append(("failed", j)))
    for job, band in ((1, 2.0), (2, 2.5), (3, 3.0)):
        worker.submit(StudyRequest(frames, EVERY, HORIZON, band, job=job))
    qtbot.waitUntil(lambda: any(j == 3 for _, j in ends), timeout=20000)
    qtbot.wait(50)
    assert sorted(j for _, j in ends) == [1, 2, 3]  # one end each, none twice
    assert ("finished", 3) in ends and results[3].band_pct == 3.0
    assert ("failed", 1) not in ends and ("failed", 2) not in ends


def test_cancel_is_honoured_after_each_stage(frames):
    request = StudyRequest(frames, EVERY, HORIZON, BAND)
    with pytest.raises(StudyCancelled):
        compute_study(request, lambda: True)  # right after the model
    calls = []

    def second_check():
        calls.append(1)
        return len(calls) >= 2

    with pytest.raises(StudyCancelled):
        compute_study(request, second_check)  # after the study itself
    assert len(calls) == 2


def test_bad_parameters_fail_with_one_clear_sentence(qtbot, worker, frames):
    with qtbot.waitSignal(worker.failed, timeout=10000) as sig:
        worker.submit(StudyRequest(frames, EVERY, 90_000, BAND, job=1))
    assert sig.args == [1, "horizon must be a positive multiple of the candles' timeframe (1 min)"]
    with qtbot.waitSignal(worker.failed, timeout=10000) as sig:
        worker.submit(StudyRequest(MarketFrames.build(frames.symbol), EVERY, HORIZON, BAND, job=2))
    assert sig.args == [2, "no candles in the data: nothing to study"]
    start = int(frames.candles["ts"].iloc[-1])
    with qtbot.waitSignal(worker.failed, timeout=10000) as sig:
        worker.submit(StudyRequest(frames, EVERY, HORIZON, BAND, start_ms=start, end_ms=start - HOUR_MS, job=3))
    assert sig.args == [3, "'from' is after 'to'"]


# -- view -----------------------------------------------------------------------------------------------


def test_scatter_is_the_observations_and_bucket_marks_are_the_buckets(qtbot, view, oracle):
    result = run_view(qtbot, view)
    same_result(result, oracle)
    o = result.observations
    x, y = view.scatter.getData()
    np.testing.assert_allclose(x, o.log_ratio)
    np.testing.assert_allclose(y, o.forward_return_pct)
    np.testing.assert_allclose(np.exp(x), o.ratio)
    # Colour: which band was reached first.
    colours = {1: DARK.up, -1: DARK.down, 0: DARK.muted}
    for p, first in zip(view.scatter.points(), o.first):
        assert p.brush().color().name() == colours[int(first)]
    bx, by = view.bucket_means.getData()
    np.testing.assert_allclose(by, [b.mean_return_pct for b in result.buckets])
    for j, b in enumerate(result.buckets):
        members = o.log_ratio[result.bucket_index == j]
        assert bx[j] == pytest.approx(members.mean())
        assert math.log(b.imbalance_min) <= bx[j] <= math.log(b.imbalance_max)
    np.testing.assert_allclose(view.bucket_bars.opts["top"], [b.return_ci[1] - b.mean_return_pct for b in result.buckets])
    np.testing.assert_allclose(view.bucket_bars.opts["bottom"], [b.mean_return_pct - b.return_ci[0] for b in result.buckets])
    rx, ry = view.rate_points.getData()
    np.testing.assert_allclose(ry, [100 * b.heavier_first_rate for b in result.buckets])
    np.testing.assert_allclose(view.rate_bars.opts["top"], [100 * (b.ci_high - b.heavier_first_rate) for b in result.buckets])
    assert view.base_line.value() == pytest.approx(100 * result.base_rate)
    _sx, sy = view.base_segments.getData()
    np.testing.assert_allclose(sy, np.repeat([100 * b.base_rate for b in result.buckets], 2))
    assert view.mean_line.value() == pytest.approx(o.forward_return_pct.mean())
    text = view.summary.text()
    assert f"{result.n} observations" in text and f"{result.spearman:+.3f}" in text
    assert "past \u2260 future" in text and "block bootstrap" in text and "estimate of an estimate" in text


def test_from_to_limit_the_steps(qtbot, view, frames):
    first = int(frames.candles["ts"].iloc[0])
    start, end = first + 30 * HOUR_MS, first + 50 * HOUR_MS
    view.all_history.setChecked(False)
    view.start_edit.setDateTime(QtCore.QDateTime.fromMSecsSinceEpoch(start, QtCore.QTimeZone.utc()))
    view.end_edit.setDateTime(QtCore.QDateTime.fromMSecsSinceEpoch(end, QtCore.QTimeZone.utc()))
    result = run_view(qtbot, view)
    expected = run_study(frames.candles, frames.open_interest, every_ms=EVERY, horizon_ms=HORIZON, band_pct=BAND,
                         start_ms=start, end_ms=end)
    same_result(result, expected)
    assert result.observations.at_ms.min() >= start and result.observations.at_ms.max() <= end


def test_clicking_a_point_asks_for_its_moment(qtbot, view):
    result = run_view(qtbot, view)
    o = result.observations
    pts = view.scatter.points()
    for k in (0, len(o) // 2, len(o) - 1):
        with qtbot.waitSignal(view.jump_requested, timeout=2000) as sig:
            view.scatter.sigClicked.emit(view.scatter, [pts[k]], None)
        assert sig.args == [int(o.at_ms[k])]
        sx, sy = view.selected.getData()
        assert (sx[0], sy[0]) == pytest.approx((o.log_ratio[k], o.forward_return_pct[k]))
    # A real mouse click on the observation with the largest imbalance (alone at the right edge).
    k = int(o.log_ratio.argmax())
    vb = view.return_plot.getViewBox()
    qtbot.wait(100)
    scene_pos = vb.mapViewToScene(QtCore.QPointF(o.log_ratio[k], o.forward_return_pct[k]))
    widget_pos = view.plots.mapFromScene(scene_pos)
    with qtbot.waitSignal(view.jump_requested, timeout=2000) as sig:
        qtbot.mouseClick(view.plots.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=widget_pos)
    assert sig.args == [int(o.at_ms[k])]


def test_ratio_axis_reads_as_ratios():
    assert [format_ratio(r, None) for r in (3.0, 1.0, 1 / 3, 2.5, 1 / 20, 250.0)] == ["3 : 1", "1 : 1", "1 : 3", "2.5 : 1", "1 : 20", "250 : 1"]
    ticks = ratio_ticks(math.log(1 / 10), math.log(10), max_ticks=20)
    assert [format_ratio(math.exp(t), None) for t in ticks] == ["1 : 10", "1 : 5", "1 : 3", "1 : 2", "1 : 1", "2 : 1", "3 : 1", "5 : 1", "10 : 1"]
    assert RatioAxis().tickStrings([math.log(3), 0.0, math.log(1 / 3)], 1.0, 1.0) == ["3 : 1", "1 : 1", "1 : 3"]
    thin = ratio_ticks(math.log(1 / 1000), math.log(1000), max_ticks=6)
    assert 0.0 in thin and len(thin) <= 7


def test_summary_says_how_much_to_trust_it(oracle):
    lines = summary_lines(oracle, "BTC")
    assert lines[0].startswith(f"BTC: {oracle.n} observations every 1h")
    assert f"about {oracle.n / oracle.block_len:.0f} independent windows" in lines[0]
    assert lines[-1].startswith("Caveat: An estimate of an estimate")


# -- in the main window ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def snapshot_file(tmp_path_factory, frames):
    path = tmp_path_factory.mktemp("study") / "study.cascade"
    save_snapshot(frames, path, source_kind="demo")
    return path


def open_study(qtbot, win):
    controller = install_study_ui(win)  # idempotent: the window may have installed it already
    assert install_study_ui(win) is controller
    win.actions_by_name["study"].trigger()
    v = controller.view
    assert v is not None and v.isVisible()
    v.band.setValue(BAND)
    v.horizon.setCurrentIndex(v.horizon.findData(HORIZON))
    return controller, v


def test_menu_opens_the_study_and_a_click_moves_the_replay_there(make_window, qtbot, snapshot_file, frames, oracle):
    win = make_window(SourceSpec("snapshot", path=str(snapshot_file)))
    wait_drawn(qtbot, win)
    controller, v = open_study(qtbot, win)
    result = run_view(qtbot, v)
    same_result(result, oracle)  # the window's frames are the snapshot's: the same study
    o = result.observations
    k = len(o) // 2
    t = int(o.at_ms[k])
    v.scatter.sigClicked.emit(v.scatter, [v.scatter.points()[k]], None)
    r = wait_result(qtbot, win, lambda r: r.request.as_of_ms == t and r.liquidity is not None)
    assert win.as_of_ms == t and win.replay.as_of_ms() == t and win.replay.isVisible()
    # The window now shows the map the study read at t: same price, same notional at risk within the band
    # (the study reads it from a float32 heatmap, hence the relative 1e-6).
    m = r.liquidity.map
    assert m.price == pytest.approx(o.price[k], rel=1e-12)
    assert shorts_at_risk(m, m.price * (1 + BAND / 100)) == pytest.approx(o.shorts_at_risk_usd[k], rel=1e-6)
    assert longs_at_risk(m, m.price * (1 - BAND / 100)) == pytest.approx(o.longs_at_risk_usd[k], rel=1e-6)
    assert r.chart.candles.x[-1] * 1000 + frames.timeframe_ms <= t  # nothing after t on the chart
    win.close()
    assert not v.worker.busy


def test_on_the_demo_market_a_jump_shows_the_replay_bar(demo_window, qtbot):
    win = demo_window
    assert not win.replay.isVisible()
    controller, v = open_study(qtbot, win)
    result = run_view(qtbot, v)
    t = int(result.observations.at_ms[0])
    with qtbot.waitSignal(controller.jumped, timeout=2000):
        v.on_points_clicked(v.scatter, [v.scatter.points()[0]])
    wait_result(qtbot, win, lambda r: r.request.as_of_ms == t)
    assert win.replay.isVisible() and win.as_of_ms == t
    # Back to the end of the slider: the live view again.
    win.replay.slider.setValue(win.replay.slider.maximum())
    wait_result(qtbot, win, lambda r: r.request.as_of_ms is None)
    assert win.as_of_ms is None
    # A moment outside the data is refused with a message, the replay stays.
    assert not controller.jump_to(int(win.frames.time_range()[1]) + HOUR_MS)
    assert win.as_of_ms is None


def test_a_horizon_longer_than_the_data_says_there_is_nothing_to_show(qtbot, view, frames):
    view.horizon.setCurrentIndex(view.horizon.findData(7 * 24 * HOUR_MS))  # 7 days on 3 days of data
    result = run_view(qtbot, view)
    assert result.n == 0 and result.skipped["incomplete_horizon"] > 0
    assert len(view.scatter.getData()[0]) == 0 and len(view.bucket_means.getData()[0]) == 0
    assert not view.mean_line.isVisible() and not view.base_line.isVisible()
    assert view.summary.text().startswith("No observation")
