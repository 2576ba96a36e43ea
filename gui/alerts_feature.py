"""Tools → Alerts: the rules dock, checked against every new liquidation map, with a desktop notice."""

from __future__ import annotations

from PySide6 import QtCore

from gui import alert_rules
from gui.alert_rules import AlertState
from gui.dialogs.alerts import AlertsDock, Notifier, rules_to_json
from gui.services import WindowServices


class AlertsFeature(QtCore.QObject):
    def __init__(self, services: WindowServices) -> None:
        super().__init__(services)
        self.services = services
        window = services.parent_widget
        self.dock = AlertsDock(window)
        window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        self.notifier = Notifier(window)
        self.alert_state = AlertState()
        self._previous_map = None
        self.dock.rules_changed.connect(self._save_rules)
        services.result_applied.connect(self.check)

    def check(self, result) -> None:
        if result.liquidity is None or not self.dock.rules:
            return
        m = result.liquidity.map
        for alert in alert_rules.evaluate(self.dock.rules, m, self._previous_map, self.alert_state):
            self.dock.add_alert(alert)
            self.notifier.notify("Cascade alert", alert.message)
        self._previous_map = m

    def _save_rules(self, rules) -> None:
        self.services.settings.setValue("alerts/rules", rules_to_json(rules))
        self.alert_state = AlertState()
