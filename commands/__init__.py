"""Headless commands (report, import, snapshot, liqprice, study): market + analytics, never Qt.

Each ``<name>_cmd.py`` module has ``run(args) -> int``; ``main.py`` parses the arguments.
"""
