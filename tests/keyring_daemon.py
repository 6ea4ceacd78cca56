"""Start a private D-Bus session bus and an unlocked gnome-keyring-daemon in it.

The daemon keeps its keyring files under a temporary HOME, unlocked with a throw-away
password, so tests use the real Secret Service without touching the developer's own.
`start_bare_bus` starts the bus alone, with nothing activatable on it: the D-Bus session
of an SSH login or a container, where no Secret Service runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

KEYRING_PASSWORD = b"throw-away-test-keyring"

# A session bus like the system's session.conf. Without <standard_session_servicedirs/>
# nothing can be activated: with the usual service folders, the first call to
# org.freedesktop.secrets starts the installed gnome-keyring-daemon.
BARE_BUS_CONFIG = """<busconfig>
  <type>session</type>
  <listen>unix:dir={runtime}</listen>
  <auth>EXTERNAL</auth>
  {servicedirs}
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@dataclass
class SecretServiceSession:
    bus_address: str
    home: Path
    runtime_dir: Path
    pids: list[int] = field(default_factory=list)
    bus: subprocess.Popen[bytes] | None = None

    def environ(self) -> dict[str, str]:
        return {
            "DBUS_SESSION_BUS_ADDRESS": self.bus_address,
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
        }

    def clear(self) -> None:
        """Delete every item of the default collection."""
        import secretstorage

        saved = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = self.bus_address
        try:
            with secretstorage.dbus_init() as connection:
                for item in secretstorage.get_default_collection(connection).get_all_items():
                    item.delete()
        finally:
            _restore_bus(saved)

    def stop(self) -> None:
        for pid in reversed(self.pids):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        self.pids.clear()
        if self.bus is not None:
            self.bus.wait(timeout=5)
            for pipe in (self.bus.stdout, self.bus.stderr):
                if pipe is not None:
                    pipe.close()
            self.bus = None


@dataclass
class BareBus:
    """A private D-Bus session bus on which no service runs (unless one is activated)."""

    bus_address: str
    runtime_dir: Path
    process: subprocess.Popen[bytes]

    def environ(self) -> dict[str, str]:
        return {
            "DBUS_SESSION_BUS_ADDRESS": self.bus_address,
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
        }

    def stop(self) -> None:
        """Stop the bus and whatever it started (they share its process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=5)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


def start_bare_bus(base: Path, *, activation: bool = False) -> BareBus:
    """Start dbus-daemon alone; RuntimeError saying what is missing.

    With `activation`, the system's session services can be started on demand, as on a
    server where gnome-keyring is installed and an SSH login has a D-Bus session: the first
    Secret Service call starts a gnome-keyring-daemon that has no keyring and no display.
    """
    dbus = shutil.which("dbus-daemon")
    if dbus is None:
        raise RuntimeError("dbus-daemon is not installed (Debian package: dbus)")
    runtime = base / "run"
    runtime.mkdir(mode=0o700, parents=True)
    config = base / "bare-session.conf"
    servicedirs = "<standard_session_servicedirs/>" if activation else ""
    config.write_text(BARE_BUS_CONFIG.format(runtime=runtime, servicedirs=servicedirs))
    bus = subprocess.Popen(
        [dbus, f"--config-file={config}", "--nofork", "--nopidfile", "--print-address=1"],
        env={  # what an activated service inherits: a HOME of its own, never the real one
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(base),
            "XDG_RUNTIME_DIR": str(runtime),
            "LANG": "C.UTF-8",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert bus.stdout is not None and bus.stderr is not None
    address = bus.stdout.readline().decode().strip()
    if not address:
        bus.kill()
        bus.wait(timeout=5)
        raise RuntimeError(f"dbus-daemon did not start: {bus.stderr.read().decode()[:300]}")
    return BareBus(address, runtime, bus)


def start_secret_service(base: Path, timeout: float = 15.0) -> SecretServiceSession:
    """Start dbus-daemon and gnome-keyring-daemon; RuntimeError saying what is missing."""
    dbus = shutil.which("dbus-daemon")
    gkd = shutil.which("gnome-keyring-daemon")
    if dbus is None:
        raise RuntimeError("dbus-daemon is not installed (Debian package: dbus)")
    if gkd is None:
        raise RuntimeError("gnome-keyring-daemon is not installed (Debian package: gnome-keyring)")
    home = base / "home"
    runtime = base / "run"
    home.mkdir(parents=True)
    runtime.mkdir(mode=0o700)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "LANG": "C.UTF-8",
    }
    bus = subprocess.Popen(
        [dbus, "--session", "--nofork", "--nopidfile", "--print-address=1", "--print-pid=2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert bus.stdout is not None
    address = bus.stdout.readline().decode().strip()
    if not address:
        bus.kill()
        raise RuntimeError(f"dbus-daemon did not start: {bus.stderr.read().decode()[:300]}")
    session = SecretServiceSession(address, home, runtime, [bus.pid], bus)
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    try:
        result = subprocess.run(
            [gkd, "--unlock", "--components=secrets", "--daemonize"],
            input=KEYRING_PASSWORD,
            env=env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        session.stop()
        raise RuntimeError("gnome-keyring-daemon did not start within the timeout") from None
    if result.returncode != 0:
        session.stop()
        raise RuntimeError(f"gnome-keyring-daemon failed: {result.stderr.decode()[:300]}")
    for line in result.stdout.decode().splitlines():
        if line.startswith("GNOME_KEYRING_PID="):
            session.pids.append(int(line.split("=", 1)[1]))
    _wait_for_service(session, timeout)
    return session


def _wait_for_service(session: SecretServiceSession, timeout: float) -> None:
    """Wait until org.freedesktop.secrets answers on the bus and has a default collection."""
    import secretstorage

    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    saved = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = session.bus_address
    try:
        while time.monotonic() < deadline:
            try:
                with secretstorage.dbus_init() as connection:
                    collection = secretstorage.get_default_collection(connection)
                    if collection.is_locked():
                        raise RuntimeError("the default collection is locked")
                    return
            except Exception as exc:  # the service may still be starting
                last_error = exc
                time.sleep(0.1)
    finally:
        _restore_bus(saved)
    session.stop()
    raise RuntimeError(f"the Secret Service did not become ready: {last_error}")


def _restore_bus(saved: str | None) -> None:
    if saved is None:
        os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
    else:
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = saved
