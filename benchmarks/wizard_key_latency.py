"""Key press to screen update in the wizard while a probe waits on a silent server.

The claim (issue 8): typing never waits for the network; a key shows on screen in under
50 ms while a check is running. The wizard runs in-process (`App.run_test`, 100×32) on
the Port step of a saved config that points at a loopback server which accepts and never
greets, so the port probe sits waiting for a greeting (its deadline is longer than the
run). Keys are then typed into the "Other port" field, one at a time, like a fast typist:

- a key event is handed to the app as the terminal driver hands it over;
- the clock stops at the first screen update (`App._display`, the call that writes a
  frame to the terminal) after which the field's value is the expected one; the field's
  drawn line is checked to hold it (and, after the last key, the screen's text).

Baselines in the same run: the same typing with no probe running (the port refuses at
once: the probe is over before typing starts), and with the probe waiting but animations
off (the running rows' spinner redraws them ten times a second otherwise). Median and
p95 are printed, and the probe is checked to be still waiting after the last key.

    python benchmarks/wizard_key_latency.py [--keys 80] [--gap 0.03]

Run by hand, not by CI. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual import events
from textual.widgets import Input
from textual.worker import WorkerState

from smtp_wizard.tui.entry import WizardOptions, make_app
from tests import smtp_servers as servers
from tests.tui_fixtures import settle

SIZE = (100, 32)
PROBE_DEADLINE = 120.0
TYPED = ("8", "0", "2", "5", "backspace", "backspace", "backspace", "backspace")


def config(folder: Path, port: int) -> Path:
    path = folder / "smtp-wizard.toml"
    path.write_text(
        "version = 1\n"
        'id = "5a1ed0c0ffee"\n'
        'default_profile = "default"\n\n'
        "[profiles.default]\n"
        'host = "127.0.0.1"\n'
        f"port = {port}\n"
        'security = "starttls"\n'
    )
    return path


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def expected_after(value: str, key: str) -> str:
    return value[:-1] if key == "backspace" else value + key


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def typing(
    path: Path, keys: int, gap: float, *, waiting: bool, still: bool = False
) -> list[float]:
    """Per key, milliseconds from the key event to the frame that shows it.

    `still`: animations off (the running rows' spinner does not turn)."""
    options = WizardOptions(config_path=path, timeout=PROBE_DEADLINE)
    app = make_app(options, start="port")
    if still:
        app.animation_level = "none"
    frame = asyncio.Event()
    shown = app._display

    def display(screen: Any, renderable: Any) -> None:
        shown(screen, renderable)
        if renderable is not None:
            frame.set()

    app._display = display  # type: ignore[method-assign]
    latencies: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        if waiting:
            await pilot.pause(0.5)
            probe = next(w for w in app.workers if w.group == "probe")
            assert probe.state is WorkerState.RUNNING, "the probe should be waiting"
        else:
            await settle(pilot)
            probe = None
            assert not [w for w in app.workers if w.state is WorkerState.RUNNING]
        field = app.screen.query_one("#port-other", Input)
        field.focus()
        await pilot.pause()
        driver = app._driver
        assert driver is not None
        for index in range(keys):
            key = TYPED[index % len(TYPED)]
            want = expected_after(field.value, key)
            event = events.Key(key, key if len(key) == 1 else None)
            event.set_sender(app)
            frame.clear()
            begin = time.perf_counter()
            driver.send_message(event)
            while True:
                await frame.wait()
                frame.clear()
                if field.value == want:
                    latencies.append((time.perf_counter() - begin) * 1000)
                    break
            drawn = field.render_line(0).text  # what the frame was composed from
            assert want in drawn, f"the field draws {drawn!r}, not {want!r}"
            await asyncio.sleep(gap)
        last = next((row for row in screen_text(app).splitlines() if "Other port" in row), "")
        assert field.value in last, f"the screen does not show {field.value!r}: {last!r}"
        if probe is not None:
            assert probe.state is WorkerState.RUNNING, "the probe ended during the typing"
            assert "checking…" in screen_text(app)
        app.workers.cancel_all()
    return latencies


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=80)
    parser.add_argument("--gap", type=float, default=0.03, help="seconds between keys")
    options = parser.parse_args()

    loop = servers.ServerLoop()
    silent = servers.start_scripted(loop, servers.no_banner)
    folder = Path(tempfile.mkdtemp(prefix="smtp-wizard-keys-"))
    (folder / "silent").mkdir()
    (folder / "idle").mkdir()
    waiting_config = config(folder / "silent", silent.port)
    idle_config = config(folder / "idle", closed_port())
    try:
        idle = asyncio.run(typing(idle_config, options.keys, options.gap, waiting=False))
        busy = asyncio.run(typing(waiting_config, options.keys, options.gap, waiting=True))
        still = asyncio.run(
            typing(waiting_config, options.keys, options.gap, waiting=True, still=True)
        )
    finally:
        loop.stop()

    print(f"key press to frame, {options.keys} keys into the Other port field, {SIZE[0]}x{SIZE[1]}")
    runs = (
        ("no probe running", idle),
        ("probe waiting on a silent server", busy),
        ("the same, animations off", still),
    )
    for name, found in runs:
        print(
            f"  {name:<34} median {statistics.median(found):5.1f} ms   p95 {p95(found):5.1f} ms"
            f"   max {max(found):5.1f} ms"
        )
    ratio = statistics.median(busy) / statistics.median(idle)
    print(f"  waiting / idle (median)            {ratio:.2f}")
    print("target: p95 under 50 ms while the probe waits")


if __name__ == "__main__":
    main()
