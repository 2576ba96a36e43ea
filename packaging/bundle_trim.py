"""What the Cascade bundle leaves out, and the two passes that shrink it (used by packaging/cascade.spec).

Kept apart from the spec so the rules can be read in one place and tested without running PyInstaller
(tests/packaging/test_bundle_rules.py). Not a package: the spec puts this folder on sys.path (a package
named `packaging` would shadow the PyPI `packaging` library that PyInstaller itself imports).

TOC entries are PyInstaller's (dest_name, src_path, typecode) tuples.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterable

Entry = tuple[str, str, str]

# Qt modules Cascade never imports (it uses QtCore, QtGui, QtWidgets, QtSvg; QtDBus comes with QtGui on
# Linux; pyqtgraph 0.14 imports QtOpenGL and QtOpenGLWidgets when its curves module loads). Listing them stops an optional import somewhere (pyqtgraph, pandas) from dragging in a whole Qt
# module with its plugins, QML files and translations.
QT_MODULES_UNUSED = (
    "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
    "QtBluetooth", "QtCharts", "QtConcurrent", "QtDataVisualization", "QtDesigner", "QtGraphs",
    "QtGraphsWidgets", "QtHelp", "QtHttpServer", "QtLocation", "QtMultimedia", "QtMultimediaWidgets",
    "QtNetwork", "QtNetworkAuth", "QtNfc", "QtPdf", "QtPdfWidgets",
    "QtPositioning", "QtPrintSupport", "QtQml", "QtQuick", "QtQuick3D", "QtQuickControls2", "QtQuickTest",
    "QtQuickWidgets", "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus", "QtSerialPort",
    "QtSpatialAudio", "QtSql", "QtStateMachine", "QtTest", "QtTextToSpeech", "QtUiTools", "QtWebChannel",
    "QtWebEngineCore", "QtWebEngineQuick", "QtWebEngineWidgets", "QtWebSockets", "QtWebView", "QtXml",
)
QT_MODULES_USED = ("QtCore", "QtGui", "QtWidgets", "QtSvg", "QtDBus", "QtOpenGL", "QtOpenGLWidgets")

# Python packages installed alongside (tests, tools) or optional imports of our dependencies. uvloop (13 MB)
# comes only through aiohttp's gunicorn worker; pyqtgraph's OpenGL, Jupyter and flowchart parts are unused.
PY_EXCLUDES = (
    "tkinter", "_tkinter", "matplotlib", "IPython", "jupyter_client", "ipykernel", "scipy", "numba",
    "cupy", "h5py", "tables", "sqlalchemy", "pyarrow", "openpyxl", "xlrd", "lxml", "bs4", "jinja2",
    "PyQt5", "PyQt6", "PySide2", "OpenGL", "pytest", "_pytest", "pytestqt", "hypothesis", "importlinter",
    "grimp", "pydoc_data", "lib2to3", "setuptools", "pkg_resources", "pip", "wheel",
    "uvloop", "gunicorn", "aiohttp.worker", "aiohttp.pytest_plugin",
    "pyqtgraph.examples", "pyqtgraph.opengl", "pyqtgraph.jupyter", "pyqtgraph.canvas", "pyqtgraph.flowchart",
    "keyrings.alt",
)


def excludes() -> list[str]:
    return [f"PySide6.{name}" for name in QT_MODULES_UNUSED] + list(PY_EXCLUDES)


# Qt libraries of modules we exclude; hooks can still collect them as dependencies of plugins.
# Matched as libQt6<X>* (Linux), Qt6<X>* (Windows) and Qt<X>.framework (macOS).
_DROP_QT_LIBS = (
    "Qml", "Quick", "Pdf", "VirtualKeyboard", "Designer", "Lottie", "Labs", "Sql", "Test", "Help", "UiTools",
    "EglFS", "EglFs", "WaylandCompositor", "Network",
)
# Plugin folders of a Qt desktop app that Cascade does not need (QML tooling, SQL, printing; evdev/tuio
# input and EGL device integrations serve embedded devices; network information and TLS back-ends serve
# QtNetwork, which Cascade does not use: ccxt/aiohttp do the networking).
_DROP_PLUGIN_DIRS = (
    "qmltooling", "designer", "sqldrivers", "qmllint", "printsupport", "egldeviceintegrations", "generic",
    "networkinformation", "tls", "wayland-graphics-integration-server",
)
# Single plugins, by folder and file stem without "lib":
# - qgtk3: GTK-native dialogs, ~17 MB of GTK, cairo, pango; Cascade draws its own dark theme (the
#   xdg-desktop-portal theme stays, so file dialogs still work in sandboxes);
# - eglfs/linuxfb/vnc/vkkhrdisplay/minimalegl: platforms for embedded devices, not desktops;
# - qpdf: reads PDF as images (pulls QtPdf).
_DROP_PLUGINS = {
    "platformthemes": ("qgtk3",),
    "platforms": ("qeglfs", "qlinuxfb", "qvnc", "qvkkhrdisplay", "qminimalegl"),
    "imageformats": ("qpdf",),
}


def unwanted(dest: str) -> bool:
    """True for a bundle path (binary or data) that Cascade does not need. Linux, Windows or macOS names."""
    parts = dest.replace("\\", "/").split("/")
    name = parts[-1]
    folder = parts[-2] if len(parts) > 1 else ""
    if any(name.startswith((f"libQt6{lib}", f"Qt6{lib}")) or f"Qt{lib}.framework" in parts for lib in _DROP_QT_LIBS):
        return True
    if "plugins" in parts[:-1] and folder in _DROP_PLUGIN_DIRS:
        return True
    stem = name.split(".", 1)[0].removeprefix("lib")
    if "plugins" in parts[:-1] and stem in _DROP_PLUGINS.get(folder, ()):
        return True
    # Qt's .qm translations: Cascade is English-only and installs no QTranslator, so none is ever loaded.
    return "translations" in parts[:-1] and name.endswith(".qm")


def split(entries: Iterable[Entry]) -> tuple[list[Entry], list[Entry]]:
    """(kept, dropped) by `unwanted`."""
    kept, dropped = [], []
    for entry in entries:
        (dropped if unwanted(entry[0]) else kept).append(entry)
    return kept, dropped


def drop_orphans(kept: list[Entry], dropped: list[Entry],
                 imports: Callable[[str], Iterable[tuple[str, str]]]) -> list[Entry]:
    """`kept` without the shared libraries that only the dropped binaries needed.

    `imports(path)` gives (library name, resolved path) for everything a binary links, transitively (ldd).
    Only libraries some dropped binary links are candidates, so libraries loaded by ctypes/dlopen stay.
    """
    def linked(entries: Iterable[Entry]) -> set[str]:
        names: set[str] = set()
        for _dest, src, typecode in entries:
            if typecode in ("BINARY", "EXTENSION"):
                names.update(name for name, _path in imports(src))
        return names

    candidates = linked(dropped)
    if not candidates:
        return list(kept)
    # imports() is transitive, so what the non-candidates link is everything that must stay.
    still_needed = linked(e for e in kept if Path(e[0]).name not in candidates)
    return [e for e in kept if Path(e[0]).name not in candidates or Path(e[0]).name in still_needed]


def strip_debug_info(entries: list[Entry], workdir: Path) -> list[Entry]:
    """Entries whose ELF files carry debug info point at copies without it (libpython alone is 23 MB -> 5 MB).

    `strip --strip-debug` removes only .debug_* sections: symbols and load segments stay, which keeps
    auditwheel/patchelf-rewritten libraries working. Linux only; elsewhere (or without strip) unchanged.
    """
    tool = shutil.which("strip")
    if not sys.platform.startswith("linux") or tool is None:
        return list(entries)
    out = []
    for dest, src, typecode in entries:
        if typecode in ("BINARY", "EXTENSION") and _has_debug_info(Path(src)):
            target = workdir / "stripped" / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            done = subprocess.run([tool, "--strip-debug", "-o", str(target), src], capture_output=True)
            if done.returncode == 0 and target.stat().st_size < Path(src).stat().st_size:
                src = str(target)
        out.append((dest, src, typecode))
    return out


def _has_debug_info(path: Path) -> bool:
    """ELF with a .debug_info section (section names live in the string table near the file's end)."""
    try:
        with path.open("rb") as fh:
            if fh.read(4) != b"\x7fELF":
                return False
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 65536))
            return b".debug_info" in fh.read()
    except OSError:
        return False
