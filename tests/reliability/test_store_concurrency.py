"""Several processes creating the same new store at once all get a working store.

Before the fix, rounds of several processes racing failed at once with "database is
locked" (the switch to WAL does not wait out the busy timeout).
"""

from __future__ import annotations

import multiprocessing as mp

from market.store import Store, StoreError

PROCESSES = 6
ROUNDS = 20


def _create(path: str, barrier, results) -> None:
    barrier.wait()
    try:
        store = Store(path)
        store.close()
        results.put("ok")
    except StoreError as exc:
        results.put(str(exc))


def test_processes_creating_the_same_new_store_at_once_all_succeed(tmp_path, fuzz_cases):
    ctx = mp.get_context("fork")
    failures = []
    for round_no in range(ROUNDS):
        path = str(tmp_path / f"race-{round_no}.sqlite")
        barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
        procs = [ctx.Process(target=_create, args=(path, barrier, results)) for _ in range(PROCESSES)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        outcomes = [results.get(timeout=5) for _ in procs]
        failures += [o for o in outcomes if o != "ok"]
        fuzz_cases.add("store_creation_race", PROCESSES)
        with Store(path) as store:  # and the file they made is one whole store
            assert store.read("BTC/USDT:USDT").is_empty()
    assert failures == []
