"""How headless commands fail: one clear line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import sys
from typing import Callable


class CommandError(Exception):
    """A user-facing failure: bad input file, missing data, unreachable source. The message is shown as is."""


def run_command(fn: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return int(fn(args) or 0)
    except CommandError as exc:
        sys.stderr.write(f"cascade {args.command}: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"cascade {args.command}: interrupted\n")
        return 130
