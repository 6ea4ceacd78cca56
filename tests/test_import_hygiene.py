"""The core never loads Textual: checked in a fresh interpreter, as harlequin does.

Every module of the core is imported, however deep (`smtp_wizard.checks.spf` as much as
`smtp_wizard.cli`): a Textual import hidden in a sub-package is as bad as one at the top.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import smtp_wizard

EXCLUDED = ("smtp_wizard.tui", "smtp_wizard.__main__")


def _is_core(name: str) -> bool:
    return not any(name == top or name.startswith(top + ".") for top in EXCLUDED)


def _core_modules() -> list[str]:
    """Every module and package under smtp_wizard, recursively, without importing the UI.

    `walk_packages` imports each package to list what is inside it; `onerror` keeps a
    package that fails to import from stopping the walk (the import test below then fails
    on it with its traceback).
    """
    found = pkgutil.walk_packages(
        smtp_wizard.__path__, prefix="smtp_wizard.", onerror=lambda name: None
    )
    return sorted({"smtp_wizard", *(info.name for info in found if _is_core(info.name))})


CORE_MODULES = _core_modules()


def test_core_modules_are_found_at_every_depth() -> None:
    for name in ("cli", "config", "export", "providers", "secret_store", "records"):
        assert f"smtp_wizard.{name}" in CORE_MODULES
    for name in ("spf", "dkim", "dmarc", "dns", "dnsapi", "smtp", "model", "domain"):
        assert f"smtp_wizard.checks.{name}" in CORE_MODULES
    assert "smtp_wizard.checks" in CORE_MODULES


def test_the_ui_and_the_entry_script_are_left_out() -> None:
    assert not [name for name in CORE_MODULES if name.startswith("smtp_wizard.tui")]
    assert "smtp_wizard.__main__" not in CORE_MODULES  # importing it would run the CLI


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
