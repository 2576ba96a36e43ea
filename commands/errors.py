"""How headless commands fail: one clear line on stderr and exit code 2, never a traceback.

Text from outside (file and zip member names, values quoted from files) reaches the terminal only
through ``printable``: an escape sequence in a name could retitle or recolour the terminal, and a
newline could forge a line of output.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable


class CommandError(Exception):
    """A user-facing failure: bad input file, missing data, unreachable source. The message is shown as is."""


def printable(text: object) -> str:
    """``text`` with every character a terminal would act on (controls, escapes, line and paragraph
    separators, bidi overrides) written as a visible ``\\x1b`` / ``\\u202e`` escape: one harmless line."""
    out = []
    for ch in str(text):
        if ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else (f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"))
    return "".join(out)


def run_command(fn: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return int(fn(args) or 0)
    except CommandError as exc:
        sys.stderr.write(f"cascade {args.command}: {printable(exc)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"cascade {args.command}: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): nothing more to say, and Python's own flush at exit
        # would raise again on the closed pipe, so stdout is pointed at the null device first.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
