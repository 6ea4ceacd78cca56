"""The core never loads Textual: checked in a fresh interpreter, as harlequin does."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import smtp_wizard

CORE_MODULES = sorted(
    f"smtp_wizard.{info.name}"
    for info in pkgutil.iter_modules(smtp_wizard.__path__)
    if info.name not in {"tui", "__main__"}
)


def test_core_modules_are_found() -> None:
    for name in ("cli", "config", "export", "providers", "secret_store"):
        assert f"smtp_wizard.{name}" in CORE_MODULES


def test_importing_the_core_does_not_import_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
