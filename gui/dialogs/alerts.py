"""The alerts dock: the trader's rules and the log of alerts raised (also sent to the system tray)."""

from __future__ import annotations

import json

from PySide6 import QtCore, QtWidgets

from analytics.report import utc_minute
from gui.alert_rules import NEAR, SWEPT, Alert, AlertRule


def rules_to_json(rules: list[AlertRule]) -> str:
    return json.dumps([{"kind": r.kind, "min_usd": r.min_usd, "within_pct": r.within_pct} for r in rules])


def rules_from_json(text: str) -> list[AlertRule]:
    try:
        return [AlertRule(str(d["kind"]), float(d["min_usd"]), float(d.get("within_pct", 1.0))) for d in json.loads(text or "[]") if d.get("kind") in (NEAR, SWEPT)]
    except (ValueError, TypeError, KeyError, AttributeError):
        return []


class AlertsDock(QtWidgets.QDockWidget):
    rules_changed = QtCore.Signal(list)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Alerts", parent)
        self.setObjectName("alertsDock")
        self.rules: list[AlertRule] = []
        body = QtWidgets.QWidget()
        self.kind = QtWidgets.QComboBox()
        self.kind.addItem("Price comes within % of a cluster", NEAR)
        self.kind.addItem("A cluster is swept", SWEPT)
        self.pct = QtWidgets.QDoubleSpinBox()
        self.pct.setRange(0.1, 20)
        self.pct.setValue(1.0)
        self.pct.setSuffix(" %")
        self.usd = QtWidgets.QDoubleSpinBox()
        self.usd.setRange(1, 100_000)
        self.usd.setValue(100)
        self.usd.setSuffix(" M$")
        add = QtWidgets.QPushButton("Add rule")
        add.clicked.connect(self._add)
        remove = QtWidgets.QPushButton("Remove rule")
        remove.clicked.connect(self._remove)
        self.rule_list = QtWidgets.QListWidget()
        self.log = QtWidgets.QListWidget()
        form = QtWidgets.QFormLayout()
        form.addRow("When", self.kind)
        form.addRow("Within", self.pct)
        form.addRow("Cluster over", self.usd)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        layout = QtWidgets.QVBoxLayout(body)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(QtWidgets.QLabel("Rules"))
        layout.addWidget(self.rule_list, 1)
        layout.addWidget(QtWidgets.QLabel("Raised"))
        layout.addWidget(self.log, 2)
        self.setWidget(body)

    def set_rules(self, rules: list[AlertRule]) -> None:
        self.rules = list(rules)
        self.rule_list.clear()
        for r in self.rules:
            self.rule_list.addItem(r.describe())
        self.rules_changed.emit(self.rules)

    def _add(self) -> None:
        rule = AlertRule(self.kind.currentData(), self.usd.value() * 1e6, self.pct.value())
        self.set_rules(self.rules + [rule])

    def _remove(self) -> None:
        row = self.rule_list.currentRow()
        if 0 <= row < len(self.rules):
            self.set_rules(self.rules[:row] + self.rules[row + 1:])

    def add_alert(self, alert: Alert) -> None:
        when = f"{utc_minute(alert.at_ms)} UTC"
        self.log.insertItem(0, f"{when} — {alert.message}")


class Notifier:
    """Desktop notifications through the system tray; the status bar where there is no tray."""

    def __init__(self, window: QtWidgets.QMainWindow) -> None:
        self.window = window
        self.tray = None
        if QtWidgets.QSystemTrayIcon.isSystemTrayAvailable():
            icon = QtWidgets.QApplication.windowIcon()
            if icon.isNull():
                icon = window.style().standardIcon(QtWidgets.QStyle.StandardPixmap.SP_MessageBoxWarning)
            self.tray = QtWidgets.QSystemTrayIcon(icon, window)
            self.tray.show()
        self.sent: list[str] = []

    def notify(self, title: str, message: str) -> None:
        self.sent.append(message)
        if self.tray is not None:
            self.tray.showMessage(title, message, QtWidgets.QSystemTrayIcon.MessageIcon.Warning, 8000)
        self.window.statusBar().showMessage(f"⚠ {message}", 10000)
