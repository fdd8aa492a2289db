"""The layering rules are enforced, not just written down."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import alarmtui

PACKAGE = Path(alarmtui.__file__).parent
NON_UI = [
    "domain", "providers", "simulators", "poller.py", "settings.py", "redaction.py", "timespec.py", "headless.py",
    "journal", "notify", "engine", "service",
]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def python_files(entry: str) -> list[Path]:
    target = PACKAGE / entry
    if target.is_file():
        return [target]
    return sorted(target.rglob("*.py"))


@pytest.mark.parametrize("entry", NON_UI)
def test_non_ui_layers_never_import_textual(entry: str) -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in python_files(entry)
        for name in imported_modules(path)
        if name == "textual" or name.startswith("textual.") or name.startswith("alarmtui.ui")
    ]
    assert not offenders, offenders


def test_domain_imports_no_http_library() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in python_files("domain")
        for name in imported_modules(path)
        if name.split(".")[0] in {"httpx", "aiohttp", "requests"}
    ]
    assert not offenders, offenders


def test_ui_never_speaks_http() -> None:
    files = python_files("ui")
    assert files, "the UI package has no modules"
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in files
        for name in imported_modules(path)
        if name.split(".")[0] in {"httpx", "aiohttp", "requests"} or name.startswith("alarmtui.simulators")
    ]
    assert not offenders, offenders


def test_import_linter_contracts_hold() -> None:
    """import-linter also catches indirect imports (a helper that drags textual in)."""
    import subprocess
    import sys

    root = PACKAGE.parent
    config = root / "pyproject.toml"
    if not config.exists():  # installed from a wheel without the source tree
        config = Path(__file__).resolve().parent.parent / "pyproject.toml"
    result = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=config.parent,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
