"""Crashes as a desktop app reports them: the traceback goes to the log file (market.logs), and the user
gets a plain-text dialog naming that file. Help → Open log folder shows it.

The dialog says only the exception's type and where it happened: its message could quote anything
(a file's content, a server's reply), and the log's copy of it is the scrubbed one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6 import QtCore, QtGui, QtWidgets

from market import logs


class CrashReporter(QtCore.QObject):
    """Turns a crash in any thread into one non-modal dialog in the GUI thread (later ones are counted)."""

    crashed = QtCore.Signal(str, str)  # exception type name, thread name

    def __init__(self, log_file: Path, parent: Optional[QtCore.QObject] = None) -> None:
        super().__init__(parent)
        self.log_file = Path(log_file)
        self.box: Optional[QtWidgets.QMessageBox] = None
        self.count = 0
        # Queued: the hook runs in whichever thread crashed; the dialog is built in this object's thread.
        self.crashed.connect(self._show, QtCore.Qt.ConnectionType.QueuedConnection)

    def report(self, kind: type[BaseException], where: str) -> None:
        """Thread-safe (called by the excepthooks)."""
        self.crashed.emit(kind.__name__, where)

    def text(self, kind: str, where: str) -> str:
        more = f"\n\n{self.count - 1} more unexpected error(s) since the first." if self.count > 1 else ""
        return (f"Cascade hit an unexpected error ({kind}, in {where}). It keeps running, but what was being done "
                f"may be incomplete.\n\nThe details are in the log file:\n{self.log_file}\n\n"
                f"Help \u2192 Open log folder shows it; please include it when you report the problem.{more}")

    def _show(self, kind: str, where: str) -> None:
        self.count += 1
        if self.box is not None and self.box.isVisible():
            self.box.setText(self.text(kind, where))
            return
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Critical, "Cascade: unexpected error", "",
                                    QtWidgets.QMessageBox.StandardButton.Ok, QtWidgets.QApplication.activeWindow())
        box.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        box.setText(self.text(kind, where))
        box.setModal(False)  # never blocks the event loop (or a test)
        box.show()
        self.box = box


def install_crash_reporting(app: QtWidgets.QApplication, log_file: Optional[Path] = None) -> CrashReporter:
    """Log to the rotating file and show a dialog for any uncaught exception. Returns the reporter."""
    path = log_file or logs.setup_logging()
    reporter = CrashReporter(path, app)
    logs.install_excepthooks(reporter.report)
    return reporter


def open_log_folder() -> bool:
    """Help → Open log folder: the file manager on the folder of the log (created if missing)."""
    folder = logs.log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(folder)))
