"""The Qt window. superqt reaches Qt through qtpy: name the binding Cascade uses, so qtpy never picks
another one that happens to be installed (PyQt6 comes with some benchmark tools)."""

import os

os.environ.setdefault("QT_API", "pyside6")

# Once PySide6 is imported it reads the source of every module imported after it, once each, looking for
# modules that use its snake_case/true_property features (shibokensupport.feature). numpy and pandas bring
# about 340 modules the window needs anyway: imported before Qt, start-up skips reading those.
import numpy  # noqa: E402,F401
import pandas  # noqa: E402,F401
