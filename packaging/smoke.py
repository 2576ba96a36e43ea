"""Smoke test of the frozen bundle: --version, then a demo window drawn offscreen and saved to PNG.

    .venv/bin/python packaging/smoke.py [dist/cascade/cascade] [--keep shot.png]

Run by packaging/smoke.sh (`make package-smoke`) after packaging/build.sh. Checks, in order:
1. the bundle holds its resources (icon, .desktop file) and, on Linux, every bundled binary's shared
   libraries resolve (a trimming rule must not drop something still linked);
2. `cascade --version` prints `cascade <version>` with the version from package metadata, the same one
   the development install reports (one source of truth: pyproject.toml);
3. `cascade --demo --screenshot shot.png --quit-after 90` (QT_QPA_PLATFORM=offscreen) exits 0 and writes
   a PNG that shows a drawn chart (packaging/screenshot_check.py);
4. prints the start-up time: launch -> first drawn frame when the app reports it (it prints
   "first frame drawn at unix_ms=<ms>" on stderr when CASCADE_FIRST_FRAME_LOG=1), and launch -> screenshot
   written in any case (an upper bound: the app waits for the liquidation model and lets the chart settle
   before it saves).
The app runs with a throw-away HOME/XDG folders so it neither reads nor changes the user's settings.
Exit 0 when everything passed, 1 otherwise; one line per check.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import screenshot_check  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QUIT_AFTER_S = 90  # an upper bound: the app quits as soon as data is drawn
FIRST_FRAME = re.compile(r"first frame drawn at unix_ms=(\d+)")


def default_executable() -> Path:
    name = "cascade.exe" if sys.platform == "win32" else "cascade"
    return ROOT / "dist" / "cascade" / name


def check_resources(exe: Path) -> list[str]:
    """Problems with the bundled resources (empty when fine). One-folder layout: <exe dir>/_internal/."""
    internal = exe.parent / "_internal"
    if not internal.is_dir():
        return [f"no {internal} (not a one-folder PyInstaller 6 bundle?)"]
    wanted = ["resources/icons/cascade.svg", "resources/icons/cascade-256.png", "resources/cascade.desktop"]
    problems = [f"missing {internal / rel}" for rel in wanted if not (internal / rel).is_file()]
    if not list(internal.glob("cascade_liquidations*")):
        problems.append("no cascade-liquidations package metadata: --version would say 0+unknown")
    return problems


def unresolved_libraries(exe: Path) -> list[str]:
    """Linux: 'binary: library' for every shared library a bundled binary links that ldd cannot find.

    Catches a trimming rule that dropped a library something still needs (Qt's own libraries are not on
    the system, so a missing one shows). Empty elsewhere or without ldd.
    """
    ldd = shutil.which("ldd")
    internal = exe.parent / "_internal"
    if not sys.platform.startswith("linux") or ldd is None or not internal.is_dir():
        return []
    env = dict(os.environ, LD_LIBRARY_PATH=str(internal))  # as the bootloader sets it
    missing = []
    for path in sorted(internal.rglob("*.so*")):
        if not path.is_file() or path.is_symlink():
            continue
        done = subprocess.run([ldd, str(path)], capture_output=True, text=True, env=env)
        missing += [f"{path.relative_to(internal)}: {line.split()[0]}"
                    for line in done.stdout.splitlines() if "not found" in line]
    return missing


def app_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", CASCADE_FIRST_FRAME_LOG="1", HOME=str(home),
               XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               XDG_CACHE_HOME=str(home / "cache"), CASCADE_DATA_DIR=str(home / "cascade-data"))
    env.pop("CASCADE_TEST", None)
    return env


def check_version(exe: Path, env: dict[str, str]) -> tuple[bool, str]:
    expected = f"cascade {metadata.version('cascade-liquidations')}"
    done = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=env, timeout=60)
    got = done.stdout.strip()
    ok = done.returncode == 0 and got == expected
    return ok, f"--version: {got!r}" + ("" if ok else f" (expected {expected!r}, exit {done.returncode})")


def run_demo(exe: Path, shot: Path, env: dict[str, str]) -> dict:
    """Start the demo window, note when the screenshot appears; returns timings (ms), exit code, stderr."""
    shot.unlink(missing_ok=True)
    argv = [str(exe), "--demo", "--screenshot", str(shot), "--quit-after", str(QUIT_AFTER_S)]
    cpu_before = _children_cpu_s()
    with tempfile.TemporaryFile("w+") as err:
        launched_unix_ms = time.time() * 1000
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env)
        shot_ms = None
        while proc.poll() is None and time.monotonic() - t0 < QUIT_AFTER_S + 40:
            if shot_ms is None and shot.exists():
                shot_ms = (time.monotonic() - t0) * 1000
            time.sleep(0.01)
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        total_ms = (time.monotonic() - t0) * 1000
        if shot_ms is None and shot.exists():
            shot_ms = total_ms
        err.seek(0)
        stderr = err.read()
    found = FIRST_FRAME.search(stderr)
    first_ms = int(found.group(1)) - launched_unix_ms if found else None
    cpu = _children_cpu_s()
    cpu_s = None if cpu is None or cpu_before is None else cpu - cpu_before
    return {"code": code, "stderr": stderr, "shot_ms": shot_ms, "first_frame_ms": first_ms, "total_ms": total_ms,
            "cpu_s": cpu_s}


def _children_cpu_s() -> float | None:
    """CPU seconds (user + system) used by finished child processes; None where unavailable (Windows).

    Wall times on a loaded machine overstate start-up; the app's CPU time does not depend on other load.
    """
    try:
        import resource
    except ImportError:
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("executable", nargs="?", type=Path, default=default_executable())
    p.add_argument("--keep", type=Path, metavar="SHOT.png", help="where to keep the screenshot (default: a temp file)")
    args = p.parse_args(argv)
    exe = args.executable.resolve()
    if not exe.is_file():
        print(f"FAIL no bundle at {exe}: run packaging/build.sh first")
        return 1
    failures = 0

    def report(ok: bool, line: str) -> None:
        nonlocal failures
        failures += not ok
        print(("ok   " if ok else "FAIL ") + line)

    problems = check_resources(exe)
    report(not problems, "resources: " + ("; ".join(problems) or "icon, PNG sizes, .desktop, metadata present"))
    missing = unresolved_libraries(exe)
    report(not missing, "shared libraries: " + ("; ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
                                                 if missing else "every bundled binary's libraries resolve"))
    with tempfile.TemporaryDirectory(prefix="cascade-smoke-") as tmp:
        env = app_env(Path(tmp))
        report(*check_version(exe, env))
        shot = args.keep.resolve() if args.keep else Path(tmp) / "shot.png"
        run = run_demo(exe, shot, env)
        tail = " | ".join(line for line in run["stderr"].splitlines()[-5:] if "propagateSizeHints" not in line)
        report(run["code"] == 0, f"demo window exit code {run['code']} after {run['total_ms']:.0f} ms"
               + (f" (stderr: {tail})" if run["code"] != 0 and tail else ""))
        report("Traceback" not in run["stderr"], "no Python traceback on stderr")
        if shot.exists():
            ok, line = screenshot_check.verdict(screenshot_check.stats(screenshot_check.rgb_pixels(str(shot))))
            report(ok, f"screenshot {'shows a drawn chart' if ok else 'is NOT a drawn chart'}: {line}")
        else:
            report(False, "no screenshot written")
        if run["first_frame_ms"] is not None:
            print(f"startup: launch -> first drawn frame {run['first_frame_ms']:.0f} ms (reported by the app)")
        else:
            print("startup: launch -> first drawn frame not reported by the app "
                  "(it prints 'first frame drawn at unix_ms=...' when CASCADE_FIRST_FRAME_LOG=1)")
        if run["shot_ms"] is not None:
            print(f"startup: launch -> screenshot written {run['shot_ms']:.0f} ms "
                  "(upper bound: includes the liquidation model and the settle delay)")
        if run["cpu_s"] is not None:
            print(f"startup: the whole demo run used {run['cpu_s']:.2f} s CPU (wall times above depend on machine load)")
    print("smoke: " + ("passed" if failures == 0 else f"{failures} check(s) failed"))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
