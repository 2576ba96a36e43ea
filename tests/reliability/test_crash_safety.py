"""Crash safety of the local store: SIGKILL the recording process at random moments, then check the file.

A child process (crash_writer.py) writes numbered batches, one ``Store.write`` transaction each, and prints
"committed N" after each commit. The parent kills it with SIGKILL at a random moment, reopens the store as
the app would, and checks: SQLite's integrity_check says ok; every batch the child reported committed is
there whole, with the exact values; no batch is there in part (a batch is a transaction); the liquidation
arrival counter in ``meta`` moved in the same transactions as the rows. Then the next round resumes on
the same file, as the app does after a crash.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from market.series import MINUTE_MS
from market.store import Store
from market.store_schema import SEQ_META_KEY
from tests.reliability.crash_writer import CANDLES_PER_BATCH, EXCHANGES, LIQUIDATIONS_PER_BATCH, T0, batch_frames

ROOT = Path(__file__).resolve().parents[2]
PER_VENUE = CANDLES_PER_BATCH // len(EXCHANGES)
ROUNDS = 7
TIME_BUDGET_S = 18.0  # the rounds stop early when the machine is slow


def _start_child(db: Path, first: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "tests.reliability.crash_writer", str(db), str(first)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _kill_at_random(child: subprocess.Popen, rng: random.Random, from_spawn: bool) -> list[str]:
    """SIGKILL the child: a random moment after it said "ready" (mid-writing), or after spawn (anywhere,
    including while it creates or migrates the store). Returns every line it printed."""
    lines: list[str] = []
    if from_spawn:
        time.sleep(rng.uniform(0.0, 1.5))
    else:
        first = child.stdout.readline()
        assert first.strip() == "ready", (first, child.stderr.read() if child.poll() is not None else "")
        lines.append(first.strip())
        time.sleep(rng.uniform(0.0, 0.6))
    os.kill(child.pid, signal.SIGKILL)
    out, err = child.communicate(timeout=10)
    assert child.returncode == -signal.SIGKILL, f"the writer died on its own: {err[-500:]}"
    return lines + out.split()  # "committed", "N" pairs and "ready"


def _committed(tokens: list[str]) -> list[int]:
    return [int(tokens[i + 1]) for i, t in enumerate(tokens[:-1]) if t == "committed" and tokens[i + 1].isdigit()]


def _check_store(db: Path, reported: set[int]) -> set[int]:
    """Integrity, whole batches only, exact values; returns the batches present."""
    raw = sqlite3.connect(db)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        top_seq = raw.execute("SELECT coalesce(max(seq), 0) FROM liquidations").fetchone()[0]
    finally:
        raw.close()
    with Store(db) as store:  # reopening as the app does (WAL recovery, migrations) must work
        frames = store.read("BTC/USDT:USDT")
        seq = store.meta().get(SEQ_META_KEY, 0)
    c = frames.candles
    batch_of_candle = ((c["ts"].to_numpy() - T0) // MINUTE_MS) // PER_VENUE
    liq = frames.liquidations
    batch_of_liq = ((liq["ts"].to_numpy() - T0) // MINUTE_MS) // PER_VENUE
    oi = frames.open_interest
    batch_of_oi = ((oi["ts"].to_numpy() - T0) // MINUTE_MS) // PER_VENUE
    present = set(np.unique(batch_of_candle).tolist()) | set(np.unique(batch_of_liq).tolist()) | set(np.unique(batch_of_oi).tolist())
    missing = sorted(reported - present)
    assert not missing, f"batches reported committed but not in the store: {missing}"
    for n in sorted(present):
        want = batch_frames(n)
        got_c = c[batch_of_candle == n].reset_index(drop=True)
        got_l = liq[batch_of_liq == n].reset_index(drop=True)
        got_o = oi[batch_of_oi == n].reset_index(drop=True)
        counts = (len(got_c), len(got_l), len(got_o))
        assert counts == (CANDLES_PER_BATCH, LIQUIDATIONS_PER_BATCH, len(EXCHANGES)), f"batch {n} is partial: {counts}"
        for col in ("ts", "open", "close", "volume", "quote_volume"):
            np.testing.assert_array_equal(got_c[col].to_numpy(), want.candles[col].to_numpy(), err_msg=f"batch {n} {col}")
        np.testing.assert_array_equal(got_l["price"].to_numpy(), want.liquidations["price"].to_numpy())
    # The arrival counter (meta next_seq, starting at 1) moves inside each batch's transaction: one past
    # the newest row's seq, and every row has its own seq (no batch was written twice).
    assert seq == top_seq + 1, f"meta next_seq {seq} but newest row seq {top_seq}: meta and rows committed apart"
    assert top_seq == len(liq), f"{len(liq)} liquidation rows but seq reached {top_seq}"
    return present


def test_sigkill_while_recording_loses_no_committed_batch_and_leaves_no_partial_one(tmp_path):
    db = tmp_path / "cascade-store.sqlite"
    rng = random.Random(int(os.environ.get("CRASH_SEED", "20261125")))
    reported: set[int] = set()
    present: set[int] = set()
    started = time.monotonic()
    rounds = 0
    while rounds < ROUNDS and time.monotonic() - started < TIME_BUDGET_S:
        first = max(present) + 1 if present else 0
        child = _start_child(db, first)
        tokens = _kill_at_random(child, rng, from_spawn=(rounds % 3 == 2))
        reported |= set(_committed(tokens))
        if db.exists():
            present = _check_store(db, reported)
        rounds += 1
    assert rounds >= 3, "too few kill rounds ran in the time budget"
    assert reported, "the writer never committed a batch before being killed"
    print(f"\ncrash safety: {rounds} SIGKILL rounds, {len(reported)} batches reported committed, "
          f"{len(present)} present, all whole")
