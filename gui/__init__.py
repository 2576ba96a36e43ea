"""The Qt window. superqt reaches Qt through qtpy: name the binding Cascade uses, so qtpy never picks
another one that happens to be installed (PyQt6 comes with some benchmark tools)."""

import os

os.environ.setdefault("QT_API", "pyside6")
