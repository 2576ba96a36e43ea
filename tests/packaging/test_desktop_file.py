"""resources/cascade.desktop follows the freedesktop Desktop Entry spec and points at what we ship."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib

import pytest

from tests.packaging.scripts import ROOT

DESKTOP = ROOT / "resources" / "cascade.desktop"
MAIN_CATEGORIES = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game", "Graphics",
                   "Network", "Office", "Science", "Settings", "System", "Utility"}
KEY = re.compile(r"^[A-Za-z0-9-]+(\[[A-Za-z0-9_@.-]+\])?$")


def parse(text: str) -> dict[str, dict[str, str]]:
    """Groups of key=value; raises on anything the spec forbids (duplicate keys/groups, bad lines)."""
    groups: dict[str, dict[str, str]] = {}
    current = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            assert line.endswith("]") and line[1:-1] not in groups, f"line {number}: bad or repeated group"
            current = groups.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"line {number}: entry before the first group"
        key, sep, value = line.partition("=")
        key = key.strip()
        assert sep and KEY.match(key), f"line {number}: not key=value"
        assert key not in current, f"line {number}: duplicate key {key}"
        current[key] = value.strip()
    return groups


@pytest.fixture(scope="module")
def entry() -> dict[str, str]:
    text = DESKTOP.read_text(encoding="utf-8")
    groups = parse(text)
    assert next(iter(groups)) == "Desktop Entry", "the first group must be [Desktop Entry]"
    return groups["Desktop Entry"]


def test_parser_rejects_what_the_spec_forbids():
    with pytest.raises(AssertionError):
        parse("[Desktop Entry]\nName=a\nName=b\n")
    with pytest.raises(AssertionError):
        parse("Name=a\n[Desktop Entry]\n")
    with pytest.raises(AssertionError):
        parse("[Desktop Entry]\nno equals sign\n")


def test_application_entry_has_the_required_keys(entry):
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Cascade"
    assert entry["Terminal"] == "false"
    for key in ("Terminal", "StartupNotify"):
        assert entry.get(key, "false") in ("true", "false")


def test_exec_runs_the_installed_command_and_the_bundle_binary(entry):
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    program = entry["Exec"].split()[0]
    assert program in scripts, "Exec must name the console script pip installs"
    assert entry["TryExec"] == program
    spec = (ROOT / "packaging" / "cascade.spec").read_text()
    assert f'APP_NAME = "{program}"' in spec, "the frozen executable must have the same name"
    # Field codes other than the documented ones are invalid; a bare %f would also break argparse.
    assert not re.search(r"%[^fFuUick%]", entry["Exec"])


def test_icon_name_resolves_to_the_shipped_icons(entry):
    icon = entry["Icon"]
    assert "/" not in icon and not icon.endswith((".png", ".svg")), "a theme icon name, not a path"
    assert (ROOT / "resources" / "icons" / f"{icon}.svg").is_file()
    assert (ROOT / "resources" / "icons" / f"{icon}-256.png").is_file()


def test_categories_and_keywords_are_semicolon_lists_with_a_main_category(entry):
    for key in ("Categories", "Keywords"):
        assert entry[key].endswith(";")
    categories = entry["Categories"].rstrip(";").split(";")
    assert MAIN_CATEGORIES & set(categories)
    assert "Finance" in categories


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_file_validate_accepts_it():
    done = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
