"""How long `smtp-wizard` takes to show its first screen, against a bare Textual app.

The claim (issue 8): from process start to the first frame, the wizard costs at most 1.3
times what a bare Textual app showing one Input costs on the same machine. Each program
runs on a real pseudo-terminal (100×32 unless --size says otherwise); the clock starts
just before the process is spawned and stops when the terminal has received a text that
the first screen shows (escape sequences stripped):

- bare:   a Textual app with one Input (its placeholder is the text waited for);
- start:  `smtp-wizard` in an empty folder: the Start step's question and its field;
- review: `smtp-wizard` beside a saved config: the Review step's summary line ("Profile
          default: checking every setting…"). Its checks start at once; they go to
          loopback only (a closed port, a DNS server that does not answer).

Each step draws its long part one frame after the first (the presets list on Start, the
rows of checks and the test send on Review): the time until that part is on screen too
("complete") is printed beside the first frame, not held to the target. The process is
killed once both were seen.

The three run in a shuffled order in each of --rounds rounds; the medians and ratios are
printed.

    python benchmarks/wizard_first_frame.py [--rounds 9] [--size 100x32]

Run by hand, not by CI. Nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import random
import re
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
WIZARD = PYTHON.parent / "smtp-wizard"
ANSI = re.compile(
    rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|P[^\x1b]*\x1b\\|[@-Z\\-_])"
)

BARE_APP = """
from textual.app import App, ComposeResult
from textual.widgets import Input


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Input(placeholder="What address will your app send from?")


Bare().run()
"""

START_TEXT = "What address will your app send from?"
REVIEW_TEXT = "Profile default:"
START_COMPLETE = "Provider: ↑↓ browse"
REVIEW_COMPLETE = "Send a test message"


@dataclass(frozen=True)
class Program:
    name: str
    argv: list[str]
    cwd: Path
    marker: str
    """The text the first screen shows: its frame is the one measured."""
    complete: str = ""
    """A text of the step's long part, drawn a frame later (timed and shown, not compared)."""


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def silent_dns() -> socket.socket:
    """A UDP socket on loopback that never answers: DNS waits without leaving the machine."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def saved_config(folder: Path, port: int) -> None:
    (folder / "smtp-wizard.toml").write_text(
        "\n".join(
            [
                "version = 1",
                'id = "5a1ed0c0ffee"',
                'default_profile = "default"',
                "",
                "[profiles.default]",
                'host = "localhost"',
                f"port = {port}",
                'security = "starttls"',
                'username = "benchmark"',
                'password = { env = "SMTP_WIZARD_BENCHMARK_PASSWORD" }',
                'from_address = "noreply@example.test"',
                'domain = "example.test"',
            ]
        )
        + "\n"
    )


def first_frame(
    program: Program, size: tuple[int, int], pycache: Path, limit: float = 30.0
) -> tuple[float, float | None]:
    """Seconds from spawning `program` on a new pty until its marker text appears (and
    until its `complete` text appears, when it has one).

    Byte code is cached under `pycache` for every program alike (as after `pip install`,
    which compiles): with PYTHONDONTWRITEBYTECODE set, a source tree would be compiled
    again on every start and the comparison would measure the compiler.
    """
    master, slave = os.openpty()
    columns, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(columns), LINES=str(rows))
    env.pop("NO_COLOR", None)
    env.pop("TEXTUAL", None)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    marker = program.marker.encode()
    complete = program.complete.encode()
    marker_at: float | None = None
    begin = time.perf_counter()
    process = subprocess.Popen(
        program.argv,
        cwd=program.cwd,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    seen = b""
    try:
        while True:
            remaining = limit - (time.perf_counter() - begin)
            if remaining <= 0:
                raise TimeoutError(f"{program.name}: no {program.marker!r} within {limit} s")
            ready, _, _ = select.select([master], [], [], remaining)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                text = ANSI.sub(b"", seen).decode(errors="replace")
                raise RuntimeError(f"{program.name} ended before its first frame:\n{text}")
            seen += chunk
            text = ANSI.sub(b"", seen)
            now = time.perf_counter() - begin
            if marker_at is None and marker in text:
                marker_at = now
            if marker_at is not None and (not complete or complete in text):
                return marker_at, (now if complete else None)
    finally:
        with_suppressed_kill(process)
        os.close(master)


def with_suppressed_kill(process: subprocess.Popen[bytes]) -> None:
    """End the program and everything it started (its own session), then reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--size", default="100x32")
    options = parser.parse_args()
    width, height = (int(n) for n in options.size.lower().split("x"))
    size = (width, height)

    base = Path(tempfile.mkdtemp(prefix="smtp-wizard-first-frame-"))
    empty = base / "empty"
    saved = base / "saved"
    empty.mkdir()
    saved.mkdir()
    bare = base / "bare_app.py"
    bare.write_text(BARE_APP)
    dns = silent_dns()
    nameserver = f"127.0.0.1:{dns.getsockname()[1]}"
    saved_config(saved, closed_port())

    programs = [
        Program("bare Textual app, one Input", [str(PYTHON), str(bare)], base, START_TEXT),
        Program(
            "smtp-wizard, empty folder (Start)",
            [str(WIZARD), "--nameserver", nameserver],
            empty,
            START_TEXT,
            complete=START_COMPLETE,
        ),
        Program(
            "smtp-wizard, saved config (Review)",
            [str(WIZARD), "--nameserver", nameserver, "--timeout", "20"],
            saved,
            REVIEW_TEXT,
            complete=REVIEW_COMPLETE,
        ),
    ]
    for program in programs:  # warm the file cache and the .pyc files once
        first_frame(program, size, base / "pycache")
    times: dict[str, list[float]] = {p.name: [] for p in programs}
    completes: dict[str, list[float]] = {p.name: [] for p in programs}
    shuffler = random.Random(8)  # noqa: S311 (an order of runs, not a secret)
    for _ in range(options.rounds):
        # A shuffled order: on a shared machine the first process after a pause runs slower.
        for program in shuffler.sample(programs, len(programs)):
            seen, whole = first_frame(program, size, base / "pycache")
            times[program.name].append(seen)
            if whole is not None:
                completes[program.name].append(whole)
    dns.close()

    medians = {name: statistics.median(found) for name, found in times.items()}
    baseline = medians[programs[0].name]
    print(f"first frame on a {width}x{height} pty, median of {options.rounds} (min–max)")
    for program in programs:
        name, found = program.name, times[program.name]
        ratio = medians[name] / baseline
        print(
            f"  {name:<38} {medians[name] * 1000:7.0f} ms  ({min(found) * 1000:.0f}–"
            f"{max(found) * 1000:.0f})   ratio {ratio:.2f}"
        )
        if completes[name]:
            whole = statistics.median(completes[name])
            print(
                f"    complete ({program.complete!r}) {whole * 1000:7.0f} ms"
                f"   ratio {whole / baseline:.2f}"
            )
    print("target: each smtp-wizard ratio <= 1.30")


if __name__ == "__main__":
    main()
