"""The store modules import each other one way only: no cycle, not even under TYPE_CHECKING."""

from __future__ import annotations

import grimp

STORE_MODULES = ("market.store", "market.snapshot_file", "market.snapshot_source", "market.sqlite_frames",
                 "market.store_schema", "market.store_migrations")


def test_no_import_cycle_between_the_store_modules():
    graph = grimp.build_graph("market", exclude_type_checking_imports=False)
    for a in STORE_MODULES:
        for b in STORE_MODULES:
            if a != b and graph.direct_import_exists(importer=a, imported=b):
                assert not graph.chain_exists(importer=b, imported=a), f"{a} and {b} import each other"


def test_the_snapshot_format_does_not_depend_on_the_live_cache():
    graph = grimp.build_graph("market", exclude_type_checking_imports=False)
    for module in ("market.snapshot_file", "market.snapshot_source", "market.sqlite_frames"):
        assert not graph.chain_exists(importer=module, imported="market.store"), module
