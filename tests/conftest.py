import os
import sys
from pathlib import Path

# Headless by default; a caller who wants Xvfb sets QT_QPA_PLATFORM=xcb.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never let a test read or write the user's real settings, store or keyring.
os.environ.setdefault("CASCADE_TEST", "1")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
