"""Regenerate screenshots/: the real wizard walking the demo, one picture per screen.

    .venv/bin/python scripts/screenshots.py [--size 100x32] [--out screenshots]

A DemoWorld starts in a temporary folder (as `smtp-wizard demo` does) and the pilot
drives the app through every step with real checks against it: discovery finds both
demo ports, a wrong password gets the 535 explanation, the DNS step shows the usual
mistakes, ctrl+g publishes the fix and the check turns green, the test send lands in the
demo mailbox, then save and export. Each screen is saved as SVG (`App.save_screenshot`)
and, where cairosvg is importable, as PNG beside it.

Textual's SVG asks for the "Fira Code" font (Debian: fonts-firacode). Fira Code has no
✗, ▸ or ★, and cairosvg does not fall back per glyph, so before converting, each
character the font lacks is wrapped in a <tspan> naming a font that has it (found with
fontconfig's fc-list; DejaVu is the usual one). The SVG files themselves are left as
Textual wrote them: browsers fall back on their own.

Nothing leaves loopback. The password is saved into an in-memory keyring of this
process, never the keyring of whoever runs the script. Run by hand, not by CI; the
demo's ports and dates differ on every run, so the pictures do too.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
PRIMARY_FONT = "Fira Code"
PREFERRED_FALLBACKS = ("DejaVu Sans Mono", "DejaVu Sans", "Noto Sans Mono", "Noto Sans Symbols2")


# -- an in-memory keyring: saving works, nothing reaches the real keyring ----------------


def use_memory_keyring() -> None:
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        """Passwords in a dict of this process: gone when the script ends."""

        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.store: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    os.environ.pop("PYTHON_KEYRING_BACKEND", None)
    keyring.set_keyring(MemoryKeyring())


# -- SVG to PNG ------------------------------------------------------------------------------


@functools.cache
def font_has(family: str, char: str) -> bool:
    """Whether fontconfig knows a font of `family` with a glyph for `char`."""
    found = subprocess.run(
        ["fc-list", f"{family}:charset={ord(char):x}", "family"],
        capture_output=True,
        text=True,
        check=False,
    )
    return bool(found.stdout.strip())


@functools.cache
def fallback_for(char: str) -> str | None:
    """A font family that has `char`, preferring monospaced ones (None: none known)."""
    for family in PREFERRED_FALLBACKS:
        if font_has(family, char):
            return family
    found = subprocess.run(
        ["fc-list", f":charset={ord(char):x}", "family"],
        capture_output=True,
        text=True,
        check=False,
    )
    families = [line.split(",")[0] for line in found.stdout.splitlines() if line.strip()]
    return sorted(families, key=lambda f: ("Mono" not in f, f))[0] if families else None


def with_fallback_fonts(svg: str) -> str:
    """`svg` with every character the primary font lacks set in a font that has it."""
    if shutil.which("fc-list") is None:
        return svg

    def fix(match: re.Match[str]) -> str:
        opening, body = match.group(1), html.unescape(match.group(2))
        if all(ord(c) < 128 or font_has(PRIMARY_FONT, c) for c in body):
            return match.group(0)
        parts = []
        for char in body:
            family = None
            if ord(char) >= 128 and not font_has(PRIMARY_FONT, char):
                family = fallback_for(char)
            text = html.escape(char, quote=False)
            parts.append(f'<tspan style="font-family: {family}">{text}</tspan>' if family else text)
        return f"{opening}{''.join(parts)}</text>"

    return re.sub(r"(<text\b[^>]*>)([^<]*)</text>", fix, svg)


def to_png(svg_path: Path) -> Path | None:
    """A PNG beside `svg_path` (None when cairosvg is not installed)."""
    try:
        import cairosvg
    except ImportError:
        return None
    png = svg_path.with_suffix(".png")
    cairosvg.svg2png(
        bytestring=with_fallback_fonts(svg_path.read_text()).encode(),
        write_to=str(png),
        output_width=1400,
    )
    return png


# -- the walk --------------------------------------------------------------------------------


async def walk(world: Any, size: tuple[int, int], shoot: Callable[[Any, str], None]) -> None:
    """Every step of the demo by keys, a picture after each (the flow test's walk)."""
    from textual import events

    from smtp_wizard.tui.entry import CONFIG_NAME, WizardOptions, make_app
    from tests.tui_fixtures import settle

    options = WizardOptions(
        config_path=Path(world.folder) / CONFIG_NAME,
        timeout=5.0,
        demo_folder=Path(world.folder),
    )
    app = make_app(options, world=world)
    app.animation_level = "none"

    async def quiet(pilot: Any) -> None:
        await settle(pilot, limit=30.0)
        app.clear_notifications()
        await pilot.pause()

    async def then(
        pilot: Any, *keys: str, name: str, before: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        await pilot.press(*keys)
        await quiet(pilot)
        if before is not None:
            await before()
            await pilot.pause()
        shoot(app, name)

    async with app.run_test(size=size) as pilot:
        await quiet(pilot)
        shoot(app, "01-start")
        await then(pilot, "ctrl+n", name="02-host")
        await pilot.press("ctrl+n")  # the port step probes the preset's port on arrival
        await quiet(pilot)
        await then(pilot, "ctrl+d", name="03-port-discovered")
        await pilot.press("ctrl+n")
        await quiet(pilot)
        await then(pilot, *"wrong-password", "ctrl+r", name="04-login-535")
        await pilot.press("ctrl+u")
        focused = app.focused
        assert focused is not None
        focused.post_message(events.Paste(world.password))
        await then(pilot, "enter", name="05-login-ok")
        await then(pilot, "ctrl+n", name="06-dns-mistakes")
        await then(pilot, "ctrl+g", name="07-dns-published")
        await then(pilot, "ctrl+n", name="08-review")

        async def show_delivered() -> None:
            app.screen.query_one("#review-delivered").scroll_visible(animate=False)

        await then(pilot, "ctrl+t", name="09-test-delivered", before=show_delivered)
        await pilot.press("ctrl+s")
        await quiet(pilot)
        await pilot.press("ctrl+o")
        await quiet(pilot)
        shoot(app, "10-export")
        await then(pilot, "tab", "enter", name="11-exported")
        await pilot.press("escape")
        await pilot.press("ctrl+q")
        await pilot.pause()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100x32", help="columns x rows (default 100x32)")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--no-png", action="store_true", help="SVG only")
    options = parser.parse_args()
    width, height = (int(n) for n in options.size.lower().split("x"))

    os.environ["TEXTUAL_ANIMATIONS"] = "none"
    os.environ.pop("NO_COLOR", None)
    use_memory_keyring()
    from smtp_wizard.sandbox import DemoWorld, missing_extra

    problem = missing_extra()
    if problem:
        sys.exit(problem)
    out: Path = options.out
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def shoot(app: Any, name: str) -> None:
        app.save_screenshot(f"{name}.svg", str(out))
        svg = out / f"{name}.svg"
        written.append(svg)
        if not options.no_png:
            png = to_png(svg)
            if png is not None:
                written.append(png)

    folder = Path(tempfile.mkdtemp(prefix="smtp-wizard-demo-"))
    try:
        with DemoWorld(folder) as world:
            asyncio.run(walk(world, (width, height), shoot))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    if not options.no_png and not any(p.suffix == ".png" for p in written):
        print("No PNG: pip install cairosvg (and the Fira Code font) to get them.")


if __name__ == "__main__":
    main()
