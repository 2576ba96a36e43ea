"""The window's services: menus by id in their place, features installed once and kept there."""

from __future__ import annotations

from gui.features import FEATURES, install_all
from gui.services import MENUS


def test_menus_are_found_by_id_and_stand_in_the_conventional_order(demo_window):
    sv = demo_window.services
    bar_menus = [a.menu() for a in demo_window.menuBar().actions() if a.menu() is not None]
    assert bar_menus == [sv.menus[m] for m in MENUS if m in sv.menus]
    assert list(sv.menus) and set(sv.menus) <= set(MENUS)
    assert sv.actions["study"] in sv.menu("tools").actions()  # the study's item, put there by id
    assert sv.actions["accounts"] in sv.menu("settings").actions()
    # A late feature asking for a menu that exists gets that one, not a second menu.
    assert sv.menu("view") is sv.menus["view"] and len(bar_menus) == len(demo_window.menuBar().actions())


def test_every_feature_is_installed_once_and_installing_again_changes_nothing(demo_window):
    sv = demo_window.services
    names = ("positions", "study", "symbol_search", "liquidation_feed", "leverage_layers", "alert_outputs",
             "view_followups")
    kept = {name: sv.kept(name) for name in names}
    assert all(v is not None for v in kept.values()), [n for n, v in kept.items() if v is None]
    assert len(FEATURES) == len(kept)  # one kept object per installed feature
    menus_before = {m: len(menu.actions()) for m, menu in sv.menus.items()}
    install_all(demo_window)
    assert {name: sv.kept(name) for name in kept} == kept
    assert {m: len(menu.actions()) for m, menu in sv.menus.items()} == menus_before


def test_an_error_goes_to_one_non_modal_box_and_the_signal(demo_window, qtbot):
    sv = demo_window.services
    with qtbot.waitSignal(demo_window.error_shown, timeout=2000) as got:
        sv.show_error("Could not open", "no such file: x.cascade")
    assert got.args == ["no such file: x.cascade"] and sv.last_error == "no such file: x.cascade"
    assert sv.error_box.isVisible() and not sv.error_box.isModal()
    sv.error_box.close()
