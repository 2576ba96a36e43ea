"""Alerts beyond the window: a sound and a webhook POST to a local HTTP server, driven from the dock."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from PySide6 import QtCore, QtWidgets

from gui.alert_outputs import alert_payload, check_webhook_url


@pytest.fixture
def hook_server():
    bodies: list[dict] = []
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            n = int(self.headers.get("Content-Length", 0))
            bodies.append(json.loads(self.rfile.read(n)))
            paths.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook/TOKEN123", bodies, paths
    server.shutdown()
    server.server_close()


def test_webhook_url_check_and_payload_words():
    assert check_webhook_url("ftp://x/y") and check_webhook_url("https://") and not check_webhook_url("https://discord.com/api/webhooks/1/abc")
    body = alert_payload("Price 1 is within 0.5% of $3M shorts at 2", "BTC/USDT:USDT", "near", 0)
    assert body["text"] == body["content"] and "BTC/USDT:USDT" in body["text"] and body["time_utc"] == "1970-01-01T00:00:00Z"
    assert set(body) == {"text", "content", "source", "symbol", "kind", "time_utc"}


def test_test_button_then_a_real_alert_reach_the_hook_and_the_speaker(demo_window, qtbot, hook_server, monkeypatch):
    url, bodies, paths = hook_server
    win = demo_window
    beeps = []
    monkeypatch.setattr(QtWidgets.QApplication, "beep", staticmethod(lambda: beeps.append(1)))
    win.actions_by_name["alerts"].trigger()
    out = win.services.kept("alert_outputs")
    assert win.alerts.dock.isVisible() and out.url.isVisible()
    qtbot.mouseClick(out.sound, QtCore.Qt.MouseButton.LeftButton)
    assert out.sound_on
    out.url.setFocus()
    qtbot.keyClicks(out.url, "ftp://nowhere")
    qtbot.mouseClick(out.test_button, QtCore.Qt.MouseButton.LeftButton)
    assert "http://" in out.status.text() and not bodies
    out.url.clear()
    qtbot.keyClicks(out.url, url)
    qtbot.mouseClick(out.test_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Delivered (HTTP 204)" in out.status.text(), timeout=10000)
    assert bodies[0]["kind"] == "test" and paths[0] == "/hook/TOKEN123"
    # A rule that fires on the demo at once: price within 20 % of any cluster over $1M.
    dock = win.alerts.dock
    dock.pct.setValue(20)
    dock.usd.setValue(1)
    qtbot.mouseClick(next(b for b in dock.findChildren(QtWidgets.QPushButton) if b.text() == "Add rule"), QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(bodies) >= 2, timeout=20000)
    alert = bodies[1]
    assert alert["kind"] == "near" and "within" in alert["text"] and alert["symbol"] == win.frames.symbol
    assert beeps  # the sound played with the alert
    # Nothing but the alert leaves the window: not the URL's token, no settings.
    assert all("TOKEN123" not in json.dumps(b) for b in bodies)
    win.save_settings()
    assert "TOKEN123" not in " ".join(str(win.settings.value(k)) for k in win.settings.allKeys())
