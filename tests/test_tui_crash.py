"""A crash of the wizard never prints the password, and the process exits non-zero.

Textual's own fatal-error path prints a traceback with every frame's local variables, so
a password typed into the Login step reaches stderr. The wizard replaces that path
(WizardApp._handle_exception). These tests run the real app in a subprocess, type a
sentinel password, force a crash, and scan everything the process printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import textual

SENTINEL = "Sentinel-Pw-7f3c"

SCRIPT = """
import sys
from pathlib import Path

from textual import events
from textual.app import App

from smtp_wizard.tui.app import WizardApp
from smtp_wizard.tui.entry import WizardOptions, _finish, make_app

sentinel, folder, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
if mode == "unguarded":
    WizardApp._handle_exception = App._handle_exception
options = WizardOptions(
    config_path=folder / "smtp-wizard.toml", nameservers=("127.0.0.1:9",), timeout=1.0
)
app = make_app(options, start="login")


def crash():
    typed = app.query_one("#login-password").value  # a local variable holding it
    raise RuntimeError(f"forced crash while the field held {typed}")


async def auto_pilot(pilot):
    await pilot.pause()
    field = app.query_one("#login-password")
    field.focus()
    field.post_message(events.Paste(sentinel))  # as a terminal pastes it
    await pilot.pause()
    assert app.draft.password.reveal() == sentinel
    app.call_later(crash)
    await pilot.pause()


app.run(headless=True, size=(80, 24), auto_pilot=auto_pilot)
sys.exit(_finish(app))
"""


def crash(tmp_path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TEXTUAL_ANIMATIONS="none", COLUMNS="80", LINES="24")
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, SENTINEL, str(tmp_path), mode],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )


def test_a_crash_prints_where_it_happened_but_never_the_typed_password(tmp_path: Path) -> None:
    result = crash(tmp_path, "guarded")
    printed = result.stdout + result.stderr
    assert result.returncode == 1
    assert "forced crash while the field held ********" in printed
    assert "tui/app.py" in printed or "crash" in printed
    assert SENTINEL not in printed


def test_textual_own_crash_path_would_print_it_so_the_guard_is_needed(tmp_path: Path) -> None:
    """Pins the reason for the override: if Textual stops showing locals, revisit it."""
    result = crash(tmp_path, "unguarded")
    assert result.returncode == 1
    assert SENTINEL in result.stdout + result.stderr, (
        f"Textual {textual.__version__} no longer prints locals on a crash: the private "
        "_handle_exception override in smtp_wizard/tui/app.py may be unnecessary now."
    )
