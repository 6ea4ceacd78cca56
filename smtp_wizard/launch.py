"""The `smtp-wizard` entry point.

Run with no arguments, the program is the wizard: it starts here without loading the
command line's parser (building it costs about as much as drawing a screen). With any
argument, `cli.main` parses and dispatches as usual, `cmd_wizard` included, and both roads
start the wizard through `start_wizard` and report a failure through `cli.report_failure`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv or "_ARGCOMPLETE" in os.environ:
        from smtp_wizard.cli import main as command_line

        return command_line(argv)
    try:
        return start_wizard()
    except (Exception, KeyboardInterrupt) as error:  # reported as every command reports it
        from smtp_wizard.cli import report_failure

        return report_failure(error)


def start_wizard(
    *,
    config_path: Path | None = None,
    profile: str | None = None,
    nameservers: Sequence[str] = (),
    cafile: Path | None = None,
    timeout: float = 10.0,
) -> int:
    """`smtp-wizard` (the flags already checked): a corrupt config, or no terminal, is a
    WizardError raised before the screen opens (exit 2, nothing changed)."""
    from smtp_wizard import config as configuration

    path = config_path if config_path is not None else configuration.DEFAULT_PATH
    if path.exists():
        configuration.load(path)  # a corrupt file is reported before the screen opens
    require_terminal("The wizard")
    from smtp_wizard.tui import run_wizard

    return run_wizard(
        config_path=path,
        profile=profile,
        nameservers=tuple(nameservers),
        cafile=cafile,
        timeout=timeout,
    )


def require_terminal(what: str) -> None:
    """The wizard draws on a terminal and reads keys: without one it would hang or garble."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        return
    from smtp_wizard.errors import UsageError

    missing = "standard input" if not sys.stdin.isatty() else "standard output"
    raise UsageError(
        f"{what} needs a terminal, and {missing} is not one.",
        "Run it in a terminal, or use the commands made for scripts: `smtp-wizard check` "
        "(every live check, --json for machines), `smtp-wizard config init` / `config set` "
        "and `smtp-wizard export`.",
    )


__all__ = ["main", "require_terminal", "start_wizard"]
