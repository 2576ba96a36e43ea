"""What the PyInstaller build leaves out (packaging/bundle_trim.py) and how the spec is wired."""

from __future__ import annotations

import ast
import importlib.util
import shutil
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.packaging.scripts import ROOT, load

bt = load("bundle_trim")
SPEC = ROOT / "packaging" / "cascade.spec"


def test_heavy_qt_modules_the_issue_names_are_excluded():
    excluded = set(bt.excludes())
    for module in ("QtWebEngineCore", "QtWebEngineWidgets", "Qt3DCore", "Qt3DRender", "QtMultimedia",
                   "QtQuick", "QtQml", "QtCharts", "QtDataVisualization", "QtPdf", "QtDesigner"):
        assert f"PySide6.{module}" in excluded
    for package in ("tkinter", "matplotlib", "IPython", "scipy", "pytest", "hypothesis", "uvloop"):
        assert package in excluded


def _qt_modules_imported_by(folder: Path) -> set[str]:
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "PySide6":
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("PySide6."):
                found.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("PySide6."))
    return found


def test_no_qt_module_cascade_imports_is_excluded():
    used = _qt_modules_imported_by(ROOT / "gui") | _qt_modules_imported_by(ROOT / "packaging")
    assert used, "the scan found no PySide6 import at all"
    excluded = {name.split(".", 1)[1] for name in bt.excludes() if name.startswith("PySide6.")}
    assert not used & excluded
    assert not set(bt.QT_MODULES_USED) & excluded
    # pyqtgraph's curves import these at module load (a frozen build without them dies on start).
    assert {"QtOpenGL", "QtOpenGLWidgets", "QtSvg"} <= set(bt.QT_MODULES_USED)


@pytest.mark.parametrize("dest, unwanted", [
    ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", True),
    ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", False),
    ("PySide6/Qt/plugins/platforms/libqxcb.so", False),
    ("PySide6/Qt/plugins/platforms/libqwayland.so", False),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", False),
    ("PySide6/Qt/plugins/platforms/libqeglfs.so", True),
    ("PySide6/Qt/plugins/platforms/libqvnc.so", True),
    ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", False),  # the SVG window icon needs both
    ("PySide6/Qt/plugins/imageformats/libqsvg.so", False),
    ("PySide6/Qt/plugins/imageformats/libqpdf.so", True),
    ("PySide6/Qt/plugins/tls/libqopensslbackend.so", True),
    ("PySide6/Qt/lib/libQt6Core.so.6", False),
    ("PySide6/Qt/lib/libQt6Quick.so.6", True),
    ("PySide6/Qt/lib/libQt6QmlModels.so.6", True),
    ("PySide6/Qt/translations/qtbase_de.qm", True),
    (r"PySide6\Qt\translations\qtbase_fr.qm", True),
    (r"PySide6\Qt6Quick.dll", True),  # Windows names
    (r"PySide6\Qt6Widgets.dll", False),
    (r"PySide6\plugins\platforms\qwindows.dll", False),
    (r"PySide6\plugins\imageformats\qpdf.dll", True),
    (r"PySide6\plugins\tls\qschannelbackend.dll", True),
    ("PySide6/Qt/lib/QtQuick.framework/Versions/A/QtQuick", True),  # macOS names
    ("PySide6/Qt/lib/QtWidgets.framework/Versions/A/QtWidgets", False),
    ("PySide6/Qt/plugins/platforms/libqcocoa.dylib", False),
    ("resources/icons/cascade.svg", False),
    ("generic/readme.txt", False),  # a folder named like a plugin folder, outside plugins/
    ("resources/cascade.desktop", False),
    ("cascade_liquidations.egg-info/PKG-INFO", False),
])
def test_unwanted_paths(dest, unwanted):
    assert bt.unwanted(dest) is unwanted


def test_split_keeps_order():
    entries = [("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "x", "BINARY"),
               ("libQt6Core.so.6", "y", "BINARY"), ("resources/icons/cascade.svg", "z", "DATA")]
    kept, dropped = bt.split(entries)
    assert kept == [entries[1], entries[2]] and dropped == [entries[0]]


def test_drop_orphans_removes_only_libraries_that_just_the_dropped_binaries_link():
    links = {  # transitive, as ldd reports
        "/src/libqgtk3.so": ["libgtk-3.so.0", "libcairo.so.2", "libglib-2.0.so.0"],
        "/src/libgtk-3.so.0": ["libcairo.so.2", "libglib-2.0.so.0"],
        "/src/libcairo.so.2": [],
        "/src/libqxcb.so": ["libglib-2.0.so.0", "libxcb.so.1"],
        "/src/libglib-2.0.so.0": [],
        "/src/libxcb.so.1": [],
        "/src/libdlopened.so": [],
    }

    def imports(path):
        return [(name, "/src/" + name) for name in links[path]]

    def entry(name, typecode="BINARY"):
        return (name, "/src/" + name, typecode)

    dropped = [entry("libqgtk3.so")]
    kept = [entry(n) for n in ("libgtk-3.so.0", "libcairo.so.2", "libqxcb.so", "libglib-2.0.so.0",
                               "libxcb.so.1", "libdlopened.so")]
    left = [e[0] for e in bt.drop_orphans(kept, dropped, imports)]
    # gtk and cairo only served the GTK theme; glib is shared with xcb; the dlopen'ed one is nobody's dep.
    assert left == ["libqxcb.so", "libglib-2.0.so.0", "libxcb.so.1", "libdlopened.so"]
    assert bt.drop_orphans(kept, [], imports) == kept


def _stdlib_extension_with_debug_info() -> Path | None:
    """A small stateless stdlib extension with debug info (loading a second copy of it is harmless)."""
    folder = Path(sysconfig.get_config_var("DESTSHARED") or "/nonexistent")
    for name in ("_heapq", "_bisect", "_statistics", "_md5", "_sha1"):
        for path in folder.glob(f"{name}.*.so"):
            if bt._has_debug_info(path):
                return path
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("strip") is None, reason="Linux strip")
def test_strip_debug_info_shrinks_an_extension_that_still_imports(tmp_path):
    source = _stdlib_extension_with_debug_info()
    if source is None:
        pytest.skip("this Python's extensions carry no debug info")
    dest = f"python3/lib-dynload/{source.name}"
    out = bt.strip_debug_info([(dest, str(source), "EXTENSION"), ("x.txt", str(SPEC), "DATA")], tmp_path)
    stripped = Path(out[0][1])
    assert stripped == tmp_path / "stripped" / dest
    assert stripped.stat().st_size < source.stat().st_size and not bt._has_debug_info(stripped)
    assert out[1] == ("x.txt", str(SPEC), "DATA")
    name = source.name.split(".")[0]
    spec = importlib.util.spec_from_file_location(name, stripped)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # a real load of the stripped file
    assert module.__file__ == str(stripped)


def test_has_debug_info_is_false_for_non_elf(tmp_path):
    path = tmp_path / "x.so"
    path.write_bytes(b"MZ" + b".debug_info" * 10)
    assert not bt._has_debug_info(path)
    assert not bt._has_debug_info(tmp_path / "missing.so")


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name]


def test_spec_wires_metadata_resources_commands_and_excludes():
    tree = ast.parse(SPEC.read_text())
    (analysis,) = _calls(tree, "Analysis")
    text = ast.unparse(analysis)
    assert "copy_metadata('cascade-liquidations')" in text  # main.app_version() works frozen
    assert "(str(ROOT / 'resources'), 'resources')" in text  # next to gui/, where gui/app.py looks
    assert "collect_submodules('commands')" in text  # main.py imports commands.<name>_cmd by name
    assert "bundle_trim.excludes()" in text
    assert len(_calls(tree, "COLLECT")) == 1 and len(_calls(tree, "BUNDLE")) == 1
    for command in ("report", "import", "snapshot", "liqprice", "study"):
        assert (ROOT / "commands" / f"{command}_cmd.py").is_file()
