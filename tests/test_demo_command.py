"""`smtp-wizard demo` as a user starts it: a real process on a pseudo-terminal.

It starts its loopback servers, shows the wizard, and on ctrl+q stops every server, prints
where its files are and exits 0, leaving no port listening.
"""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import require

ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def _listening_ports(pid: int) -> set[int]:
    """The TCP ports process `pid` listens on (its socket inodes matched in /proc/net/tcp)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _read_until(fd: int, wanted: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if wanted in ANSI.sub(b"", seen):
                return seen
    raise AssertionError(
        f"{wanted!r} never appeared; screen so far: {ANSI.sub(b'', seen)[-400:]!r}"
    )


def test_the_demo_starts_shows_the_wizard_and_stops_every_server_on_quit(
    tmp_path: Path,
) -> None:
    if not Path("/proc/net/tcp").exists():
        require("/proc", "the test reads the listening sockets from /proc")
    folder = tmp_path / "demo"
    main, child = pty.openpty()
    os.set_blocking(main, False)
    process = subprocess.Popen(
        [sys.executable, "-m", "smtp_wizard", "demo", "--folder", str(folder)],
        stdin=child,
        stdout=child,
        stderr=child,  # Textual draws on stderr
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "32"},
    )
    os.close(child)
    try:
        _read_until(main, b"open-sesame-42", timeout=30)  # the credentials, on screen
        ports = _listening_ports(process.pid)
        assert len(ports) >= 3, ports  # SMTP with STARTTLS, SMTP with TLS, DNS over TCP
        os.write(main, b"\x11")  # ctrl+q: the new demo profile is not saved, so it asks
        _read_until(main, b"Quit without saving", timeout=10)
        time.sleep(0.5)  # the dialog focuses its first answer once mounted
        os.write(main, b"\t")  # the second answer
        time.sleep(0.3)
        os.write(main, b"\r")
        tail = b""
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.1)
            if ready:
                try:
                    tail += os.read(main, 65536)  # keep draining: a full pty would block it
                except OSError:  # EIO: the terminal's last user closed it (exiting)
                    break
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        if process.poll() is None:
            pytest.fail(f"the demo did not exit after ctrl+q: {ANSI.sub(b'', tail)[-600:]!r}")
        try:
            while chunk := os.read(main, 65536):
                tail += chunk
        except OSError:
            pass
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    said = ANSI.sub(b"", tail).decode(errors="replace")
    assert process.returncode == 0, said
    assert "Traceback" not in said
    assert f"are in {folder}" in said
    for port in ports:
        with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
            sock.connect(("127.0.0.1", port))
    assert (folder / "demo-ca.pem").exists()
