"""House rules import-linter cannot express: nothing imports the entry point, no comment points at an issue."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("market", "analytics", "gui", "commands", "cascade_vocab")
# Comments and docstrings say why, in words; a tracker number rots the day the tracker moves.
ISSUE_REF = re.compile(r"\bissues?\s*#?\s*\d+", re.IGNORECASE)


def _sources(*tops: str) -> list[Path]:
    files: list[Path] = []
    for top in tops:
        path = ROOT / top
        files.extend([path] if path.suffix == ".py" else sorted(path.rglob("*.py")))
    return files


def _imports_main(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "main" or a.name.startswith("main.") for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "main":
            return True
    return False


def test_nothing_imports_main_the_entry_point():
    offenders = [str(p.relative_to(ROOT)) for p in _sources(*PACKAGES) if _imports_main(ast.parse(p.read_text()))]
    assert offenders == []


def test_the_import_check_sees_an_import_of_main():
    assert _imports_main(ast.parse("def f():\n    from main import app_version\n"))
    assert _imports_main(ast.parse("import main\n"))
    assert not _imports_main(ast.parse("from .main import x\nimport mainly\n"))


def _issue_refs(source: str) -> list[str]:
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT and ISSUE_REF.search(tok.string):
            found.append(f"{tok.start[0]}: {tok.string.strip()}")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc and ISSUE_REF.search(doc):
                found.append(f"{getattr(node, 'lineno', 1)}: docstring")
    return found


def test_no_comment_or_docstring_refers_to_an_issue_number():
    offenders = {}
    for path in _sources(*PACKAGES, "main.py", "tests", "benchmarks"):
        refs = _issue_refs(path.read_text())
        if refs:
            offenders[str(path.relative_to(ROOT))] = refs
    assert offenders == {}


def test_the_issue_check_sees_comments_and_docstrings_but_not_code():
    assert _issue_refs("x = 1  # see issue 11\n")
    assert _issue_refs('def f():\n    """Fixes Issue #4."""\n')
    assert not _issue_refs('ISSUES = "issue 3"  # a string in code is data, not a reference\n')
