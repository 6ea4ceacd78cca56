"""How the command line starts the wizard: `run_wizard(...)` and `run_demo(world, ...)`.

Nothing here imports Textual at module level: a corrupt config is reported (its
WizardError, exit 2) before the UI is loaded. `make_app` is the factory the tests use: it
takes the collaborators (draft, checks' options, demo world) instead of finding them.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smtp_wizard.config import DEFAULT_PATH

if TYPE_CHECKING:
    from smtp_wizard.draft import Draft
    from smtp_wizard.tui.app import WizardApp

CONFIG_NAME = "smtp-wizard.toml"


@dataclass(frozen=True)
class WizardOptions:
    """The wizard's flags: the same `--config`, `--profile`, `--nameserver`, `--cafile` and
    `--timeout` as `check`."""

    config_path: Path = DEFAULT_PATH
    profile: str | None = None
    nameservers: tuple[str, ...] = ()
    cafile: Path | None = None
    timeout: float = 10.0
    demo_folder: Path | None = None
    """`smtp-wizard demo` only: the demo world's folder (config and exports go there)."""


def make_app(
    options: WizardOptions,
    *,
    draft: Draft | None = None,
    world: Any = None,
    start: str | None = None,
) -> WizardApp:
    """The wizard app for `options`, with its collaborators (given ones win).

    Raises WizardError (ConfigError, UsageError) for a config that cannot be opened: the
    same message the command line prints.
    """
    from smtp_wizard.draft import Draft
    from smtp_wizard.tui.app import WizardApp
    from smtp_wizard.tui.core import CheckEnv, Core

    nameservers = tuple(options.nameservers)
    cafile = options.cafile
    export_folder = None
    if world is not None:
        nameservers = nameservers or (world.nameserver,)
        cafile = cafile or world.cafile
        export_folder = world.folder
    if draft is None:
        draft = Draft.open(options.config_path, options.profile)
        if world is not None and not draft.exists:
            prefill_demo(draft, world)
    core = Core(CheckEnv(nameservers=nameservers, cafile=cafile, timeout=options.timeout))
    return WizardApp(draft=draft, core=core, world=world, start=start, export_folder=export_folder)


def prefill_demo(draft: Draft, world: Any) -> None:
    """A new demo config starts pointed at the demo: its preset and its sender."""
    draft.choose_provider(world.provider.id)
    draft.edit("from_address", world.from_address)


def _finish(app: WizardApp) -> int:
    """The exit status after the app returned (App.run() does not exit the process)."""
    if app.return_code:
        return app.return_code
    value = app.return_value
    return value if isinstance(value, int) else 0


def run(options: WizardOptions, *, world: Any = None) -> int:
    """Run the wizard on a terminal; the process's exit status.

    0 after a normal quit, 1 after a crash (printed without locals, secrets masked).
    A config that cannot be opened raises its WizardError before the screen opens (the
    command line prints it as for every command: exit 2, nothing changed).
    """
    # No cyclic garbage collection until the first frame is out: starting Textual allocates
    # a few hundred thousand objects, and a full collection in the middle of it cost the
    # first frame tens of milliseconds. The app freezes what it built and collects again
    # once the frame is drawn (WizardApp.started); `finally` covers a start that failed.
    collecting = gc.isenabled()
    gc.disable()
    try:
        app = make_app(options, world=world)
        app.resume_gc = collecting
        app.run()
    finally:
        if collecting:
            gc.enable()
    return _finish(app)


def run_wizard(
    *,
    config_path: Path = DEFAULT_PATH,
    profile: str | None = None,
    nameservers: tuple[str, ...] = (),
    cafile: Path | None = None,
    timeout: float = 10.0,
) -> int:
    """`smtp-wizard`: the wizard on `config_path` (its review screen when it exists)."""
    return run(
        WizardOptions(
            config_path=Path(config_path),
            profile=profile,
            nameservers=tuple(nameservers),
            cafile=cafile,
            timeout=timeout,
        )
    )


def run_demo(world: Any, *, timeout: float = 10.0, profile: str | None = None) -> int:
    """`smtp-wizard demo`: the wizard on a started `DemoWorld` (the caller stops it).

    The config and exports go to the world's folder; DNS goes to the demo's nameserver and
    TLS trusts the demo's CA, for this run only.
    """
    return run(
        WizardOptions(
            config_path=Path(world.folder) / CONFIG_NAME,
            profile=profile,
            timeout=timeout,
            demo_folder=Path(world.folder),
        ),
        world=world,
    )


__all__ = [
    "CONFIG_NAME",
    "WizardOptions",
    "make_app",
    "prefill_demo",
    "run",
    "run_demo",
    "run_wizard",
]
