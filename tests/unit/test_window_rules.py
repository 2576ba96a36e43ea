"""The window stays a window: features talk to the state and the services, never set attributes on the
window from outside, never find a menu by its label; main_window.py stays small."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WINDOW_NAMES = {"win", "window", "main_window", "mw"}
MENU_LABELS = {"File", "View", "Tools", "Settings", "Help"}
MAX_WINDOW_LINES = 250


def _is_window(node: ast.AST) -> bool:
    """``win`` / ``window`` / ``main_window``, or ``self.win`` and the like."""
    if isinstance(node, ast.Name):
        return node.id in WINDOW_NAMES
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" and node.attr in WINDOW_NAMES


def window_attribute_writes(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for t in targets:
            for el in (t.elts if isinstance(t, ast.Tuple) else [t]):
                if isinstance(el, ast.Attribute) and _is_window(el.value):
                    found.append(f"{el.lineno}: {ast.unparse(el)} = ...")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr" and node.args and _is_window(node.args[0]):
            found.append(f"{node.lineno}: setattr({ast.unparse(node.args[0])}, ...)")
    return found


def _calls_text(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("text", "title") for n in ast.walk(node))


def menus_found_by_label(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        labels = {s.value.replace("&", "") for s in sides if isinstance(s, ast.Constant) and isinstance(s.value, str)}
        if labels & MENU_LABELS and any(_calls_text(s) for s in sides):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def _gui_sources() -> list[Path]:
    return sorted((ROOT / "gui").rglob("*.py"))


def test_no_module_sets_attributes_on_the_window_from_outside():
    offenders = {}
    for path in _gui_sources():
        if path.name == "main_window.py":
            continue  # the window's own attributes
        hits = window_attribute_writes(path.read_text())
        if hits:
            offenders[str(path.relative_to(ROOT))] = hits
    assert offenders == {}


def test_no_module_finds_a_menu_by_its_label():
    offenders = {str(p.relative_to(ROOT)): h for p in _gui_sources() if (h := menus_found_by_label(p.read_text()))}
    assert offenders == {}


def test_the_window_module_stays_small():
    lines = len((ROOT / "gui" / "main_window.py").read_text().splitlines())
    assert lines <= MAX_WINDOW_LINES, f"gui/main_window.py has {lines} lines: move a job into its own module"


def test_the_checks_see_what_they_forbid():
    assert window_attribute_writes("def f(win):\n    win._calibration = 1\n")
    assert window_attribute_writes("class C:\n    def f(self):\n        self.win.heatmap_dialog = d\n")
    assert window_attribute_writes("def f(main_window):\n    setattr(main_window, 'study', c)\n")
    assert window_attribute_writes("def f(win):\n    win.a, b = 1, 2\n")
    assert not window_attribute_writes("class C:\n    def f(self, sv):\n        self.win = sv.parent_widget\n        self.x = win.y\n")
    assert menus_found_by_label("m = [a for a in bar.actions() if a.text().replace('&', '') == 'Tools']\n")
    assert menus_found_by_label("ok = menu.title() == '&Help'\n")
    assert not menus_found_by_label("ok = box.text() == 'Ready'\nok = name == 'Tools'\n")


def import_cycles(sources: dict[str, str]) -> list[list[str]]:
    """Cycles among ``sources`` (module name -> code), counting every import: TYPE_CHECKING and lazy ones too."""
    graph: dict[str, set[str]] = {}
    for name, code in sources.items():
        deps = set()
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                deps |= {c for c in [node.module, *(f"{node.module}.{a.name}" for a in node.names)] if c in sources}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name in sources}
        graph[name] = deps - {name}
    cycles, done = [], set()

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in path:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in done:
                walk(nxt, path + [nxt])
        done.add(node)

    for start in sorted(graph):
        if start not in done:
            walk(start, [start])
    return cycles


def test_no_import_cycle_in_gui_even_under_type_checking():
    sources = {}
    for path in _gui_sources():
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        sources[name] = path.read_text()
    assert import_cycles(sources) == []


def test_the_cycle_check_sees_a_type_checking_cycle():
    window = "from typing import TYPE_CHECKING\nfrom gui import menus\n"
    menus = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from gui.main_window import MainWindow\n"
    assert import_cycles({"gui.main_window": window, "gui.menus": menus, "gui": ""})
    assert not import_cycles({"gui.main_window": window, "gui.menus": "import os\n", "gui": ""})
