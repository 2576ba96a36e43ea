"""Alerts beyond the window: a sound and an optional webhook (a plain HTTP POST of a JSON body).

The body carries ``text`` (Slack, Mattermost) and ``content`` (Discord) with the alert's words, plus the
symbol, kind and time; a Telegram bot takes it through any relay that forwards JSON. Nothing else is
sent: no settings, no account, no key. The URL itself often holds the bot's token, so it is kept for
the session only (never written to the settings) and never shown or logged beyond its host.
Posting runs in a worker thread with a short timeout: a slow hook never stalls the chart.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Optional

from PySide6 import QtCore, QtWidgets

from gui.background import run_in_background
from gui.services import WindowServices

if TYPE_CHECKING:
    from gui.alert_rules import Alert

POST_TIMEOUT_S = 5.0


def check_webhook_url(url: str) -> str:
    """'' when ``url`` can be posted to, else one line saying why not."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return "The webhook URL must start with http:// or https://"
    if not parts.hostname:
        return "The webhook URL has no host"
    return ""


def host_of(url: str) -> str:
    return urllib.parse.urlsplit(url.strip()).hostname or "?"


def alert_payload(message: str, symbol: str, kind: str, at_ms: int) -> dict:
    """The JSON body: the alert's words and where and when, nothing more."""
    text = f"Cascade alert · {symbol}: {message} (estimated liquidation levels)"
    return {"text": text, "content": text, "source": "Cascade", "symbol": symbol, "kind": kind,
            "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at_ms / 1000.0))}


def post_json(url: str, body: dict, timeout: float = POST_TIMEOUT_S) -> int:
    """POST ``body`` as JSON; returns the HTTP status (raises on network errors and non-2xx)."""
    req = urllib.request.Request(url.strip(), data=json.dumps(body).encode("utf-8"), method="POST",
                                 headers={"Content-Type": "application/json", "User-Agent": "Cascade"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (http(s) checked above)
        return int(resp.status)


def _describe(exc: BaseException) -> str:
    # urllib's messages name neither the URL nor its token ("HTTP Error 404", "Connection refused").
    reason = getattr(exc, "reason", None)
    return f"{type(exc).__name__}: {reason if reason is not None else exc}"


class AlertOutputs(QtCore.QObject):
    posted = QtCore.Signal(int)  # HTTP status of a delivered webhook
    failed = QtCore.Signal(str)

    def __init__(self, sv: WindowServices) -> None:
        super().__init__(sv)
        self.services = sv
        self.sound_on = False
        self.webhook_url = ""  # this session only: it usually holds a token
        self.sounds = 0

    def play_sound(self) -> None:
        # QtMultimedia is not part of this PySide6 build; the system bell is what every platform has.
        QtWidgets.QApplication.beep()
        self.sounds += 1

    def deliver(self, alert: "Alert", symbol: str) -> None:
        if self.sound_on:
            self.play_sound()
        if self.webhook_url:
            self.post(alert_payload(alert.message, symbol, alert.rule.kind, alert.at_ms))

    def post(self, body: dict) -> Optional[object]:
        url = self.webhook_url
        problem = check_webhook_url(url)
        if problem:
            self.failed.emit(problem)
            return None
        host = host_of(url)
        return run_in_background(lambda: post_json(url, body), self.posted.emit,
                                 lambda msg: self.failed.emit(f"Webhook to {host} failed: {msg}"), self, describe=_describe)


def install_alert_outputs(main_window) -> AlertOutputs:
    """A "Beyond the window" box in the alerts dock: sound, webhook URL, and a test button."""
    sv = main_window.services
    if sv.kept("alert_outputs") is not None:
        return sv.kept("alert_outputs")
    out = AlertOutputs(sv)
    alerts = main_window.alerts
    alerts.alert_raised.connect(lambda alert: out.deliver(alert, sv.state.frames.symbol if sv.state.frames is not None else ""))
    box = QtWidgets.QGroupBox("Beyond the window")
    form = QtWidgets.QFormLayout(box)
    out.sound = QtWidgets.QCheckBox("Sound on each alert")
    out.sound.toggled.connect(lambda on: setattr(out, "sound_on", bool(on)))
    form.addRow(out.sound)
    out.url = QtWidgets.QLineEdit()
    out.url.setPlaceholderText("https://… (Discord, Slack, or a relay to Telegram)")
    out.url.setEchoMode(QtWidgets.QLineEdit.EchoMode.PasswordEchoOnEdit)  # it holds a token: hidden once entered
    out.url.setToolTip("Each alert is POSTed here as JSON ({\"text\", \"content\", …}).\n"
                       "Kept for this session only: Cascade never writes it to its settings.")
    out.url.textChanged.connect(lambda text: setattr(out, "webhook_url", text.strip()))
    form.addRow("Webhook", out.url)
    out.test_button = QtWidgets.QPushButton("Send test")
    out.status = QtWidgets.QLabel("")
    out.status.setWordWrap(True)
    form.addRow(out.test_button, out.status)

    def test() -> None:
        problem = check_webhook_url(out.webhook_url)
        if problem:
            out.status.setText(problem)
            return
        symbol = sv.state.frames.symbol if sv.state.frames is not None else "—"
        out.status.setText(f"Sending to {host_of(out.webhook_url)}…")
        out.post(alert_payload("test message: alerts reach this hook", symbol, "test", int(time.time() * 1000)))

    out.test_button.clicked.connect(test)
    out.posted.connect(lambda status: out.status.setText(f"Delivered (HTTP {status})"))
    out.failed.connect(out.status.setText)
    alerts.dock.widget().layout().addWidget(box)
    return sv.keep("alert_outputs", out)
