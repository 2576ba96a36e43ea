"""Load packaging/*.py by path: packaging/ is not a package (it would shadow PyPI's `packaging`)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def load(name: str) -> ModuleType:
    """packaging/<name>.py as a module (cached in sys.modules under its own name, as the spec imports it)."""
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(PACKAGING / f"{name}.py"):
        return sys.modules[name]
    if str(PACKAGING) not in sys.path:
        sys.path.append(str(PACKAGING))  # smoke.py imports screenshot_check as a sibling
    spec = importlib.util.spec_from_file_location(name, PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
