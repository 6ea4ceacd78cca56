"""Writing and reading the user's files: what is at the path, crashes, full disks, owners.

Real files, links, FIFOs, devices (made with mknod in the test's folder, never the system's
/dev/null: code that replaced it would break the machine), real SIGKILLs of a real
subprocess, a real file-size limit (RLIMIT_FSIZE) and, where root may mount, a real full
tmpfs. The one fake is a file system without hard links (os.link raising EPERM), which no
test machine reliably has.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import random
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtp_wizard import fsutil
from smtp_wizard.errors import ConfigError, UsageError
from smtp_wizard.fsutil import atomic_write, read_regular_file, write_file

ROOT = Path(__file__).resolve().parent.parent
OLD = b"version = 1\n# old\nport = 587\n"
NEW = b"version = 1\n# new\nport = 465\n"


def is_root() -> bool:
    return os.geteuid() == 0


def need_root(what: str) -> None:
    if not is_root():
        pytest.skip(f"needs root: {what}")


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@contextlib.contextmanager
def as_user(uid: int, gid: int) -> Iterator[None]:
    """Act as another user (effective ids only, so root can come back)."""
    os.setegid(gid)
    os.seteuid(uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can reach (tmp_path's parents are root's, mode 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="smtp-wizard-test-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        subprocess.run(["rm", "-rf", str(folder)], check=False)


# --- what is at the path --------------------------------------------------------------------


def test_writes_through_a_symlinked_file_and_keeps_the_link(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    app = tmp_path / "project"
    shared.mkdir()
    app.mkdir()
    real = shared / "app.toml"
    real.write_bytes(OLD)
    link = app / "smtp-wizard.toml"
    link.symlink_to("../shared/app.toml")

    result = write_file(link, NEW, backup=True)

    assert link.is_symlink() and os.readlink(link) == "../shared/app.toml"
    assert real.read_bytes() == NEW
    assert result.path == real.resolve()
    # The backup sits where the user looks for it: beside the name they gave.
    assert result.backup == app / "smtp-wizard.toml.bak"
    assert result.backup.read_bytes() == OLD
    assert temp_files(shared) == [] and temp_files(app) == []


def test_a_symlink_chain_is_followed_to_its_end(tmp_path: Path) -> None:
    real = tmp_path / "real.env"
    real.write_bytes(OLD)
    (tmp_path / "middle").symlink_to(real)
    (tmp_path / ".env").symlink_to(tmp_path / "middle")
    write_file(tmp_path / ".env", NEW, mode=0o600)
    assert real.read_bytes() == NEW
    assert (tmp_path / "middle").is_symlink() and (tmp_path / ".env").is_symlink()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_a_dangling_symlink_creates_its_target_when_the_folder_exists(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    link = tmp_path / ".env"
    link.symlink_to(tmp_path / "store" / "app.env")
    result = write_file(link, NEW, mode=0o600)
    assert link.is_symlink()
    assert (tmp_path / "store" / "app.env").read_bytes() == NEW
    assert result.path == tmp_path / "store" / "app.env"


def test_a_dangling_symlink_into_a_missing_folder_is_refused(tmp_path: Path) -> None:
    link = tmp_path / ".env"
    link.symlink_to(tmp_path / "missing" / "app.env")
    with pytest.raises(UsageError, match="whose folder does not exist") as caught:
        write_file(link, NEW)
    assert "Create that folder" in caught.value.hint
    assert link.is_symlink() and not (tmp_path / "missing").exists()


def test_a_symlink_loop_is_refused_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(UsageError, match="cannot be followed"):
        write_file(tmp_path / "a", NEW)
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


def _special_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    made = {
        "fifo": (fifo, "a named pipe (FIFO)"),
        "directory": (folder, "a directory"),
    }
    sock_path = tmp_path / "sock"
    if len(str(sock_path)) < 100:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(sock_path))
        made["socket"] = (sock_path, "a socket")
    if is_root():
        null = tmp_path / "null"
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        made["device"] = (null, "a character device")
    return made


@pytest.mark.parametrize("kind", ["fifo", "directory", "socket", "device"])
def test_anything_but_a_regular_file_is_refused_and_left_alone(kind: str, tmp_path: Path) -> None:
    special = _special_files(tmp_path)
    if kind not in special:
        pytest.skip(f"cannot make a {kind} here")
    path, words = special[kind]
    before = os.lstat(path)
    with pytest.raises(UsageError) as caught:
        write_file(path, b"SMTP_PASSWORD=secret\n", mode=0o600)
    assert caught.value.message == f"{path} is {words}, not a regular file."
    assert "regular file" in caught.value.hint
    after = os.lstat(path)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert temp_files(tmp_path) == []


def test_a_symlink_to_a_device_is_refused(tmp_path: Path) -> None:
    need_root("mknod")
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    (tmp_path / ".env").symlink_to(null)
    with pytest.raises(UsageError, match="which is a character device, not a regular file"):
        write_file(tmp_path / ".env", b"SMTP_PASSWORD=secret\n", mode=0o600)
    assert stat.S_ISCHR(os.lstat(null).st_mode)


def test_a_symlinked_backup_is_replaced_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious\n")
    path = tmp_path / "smtp-wizard.toml"
    path.write_bytes(OLD)
    backup = tmp_path / "smtp-wizard.toml.bak"
    backup.symlink_to(victim)

    result = write_file(path, NEW, backup=True)

    assert victim.read_bytes() == b"precious\n"
    assert not backup.is_symlink() and backup.read_bytes() == OLD
    assert path.read_bytes() == NEW
    assert any("was a symbolic link" in w and str(victim) in w for w in result.warnings)


def test_a_backup_name_taken_by_a_folder_is_refused_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "smtp-wizard.toml"
    path.write_bytes(OLD)
    (tmp_path / "smtp-wizard.toml.bak").mkdir()
    with pytest.raises(UsageError, match=r"\.bak is a directory, not a regular file"):
        write_file(path, NEW, backup=True)
    assert path.read_bytes() == OLD
    assert temp_files(tmp_path) == []


# --- the backup -----------------------------------------------------------------------------


def test_backup_keeps_old_content_mode_and_inode_without_copying(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(OLD)
    path.chmod(0o600)
    old_inode = path.stat().st_ino
    result = write_file(path, NEW, mode=0o600, backup=True)
    assert result.backup is not None
    assert result.backup.read_bytes() == OLD
    assert result.backup.stat().st_ino == old_inode  # a hard link: no byte copied
    assert stat.S_IMODE(result.backup.stat().st_mode) == 0o600


def test_backup_is_copied_where_hard_links_are_impossible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(fsutil.os, "link", no_links)
    path = tmp_path / ".env"
    path.write_bytes(OLD)
    path.chmod(0o640)
    result = write_file(path, NEW, backup=True)
    assert result.backup is not None and result.backup.read_bytes() == OLD
    assert stat.S_IMODE(result.backup.stat().st_mode) == 0o640
    assert path.read_bytes() == NEW
    assert temp_files(tmp_path) == []


def test_a_backup_left_as_the_same_file_by_a_kill_is_handled(tmp_path: Path) -> None:
    # Killed between the two renames: the backup and the file are one inode.
    path = tmp_path / "smtp-wizard.toml"
    path.write_bytes(OLD)
    os.link(path, tmp_path / "smtp-wizard.toml.bak")
    write_file(path, NEW, backup=True)
    assert path.read_bytes() == NEW
    assert (tmp_path / "smtp-wizard.toml.bak").read_bytes() == OLD
    assert temp_files(tmp_path) == []


def test_a_failure_after_the_backup_says_exactly_what_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "smtp-wizard.toml"
    path.write_bytes(OLD)
    (tmp_path / "smtp-wizard.toml.bak").write_bytes(b"older\n")
    real_replace = os.replace

    def failing_replace(src: object, dst: object) -> None:
        if Path(str(dst)) == path:
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(fsutil.os, "replace", failing_replace)
    with pytest.raises(UsageError) as caught:
        write_file(path, NEW, backup=True)
    assert "Nothing was changed" not in caught.value.hint
    assert "is unchanged" in caught.value.hint and ".bak now holds" in caught.value.hint
    assert path.read_bytes() == OLD
    assert (tmp_path / "smtp-wizard.toml.bak").read_bytes() == OLD
    assert temp_files(tmp_path) == []


# A saver that alternates two valid contents until it is killed.
_SAVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from smtp_wizard.fsutil import atomic_write
    path = Path(sys.argv[1])
    contents = [Path(sys.argv[2]).read_bytes(), Path(sys.argv[3]).read_bytes()]
    print("ready", flush=True)
    n = 0
    while True:
        atomic_write(path, contents[n % 2], backup=True)
        n += 1
    """
)


def _valid_contents(tmp_path: Path) -> tuple[bytes, bytes]:
    """Two contents large enough (1 MiB) that a kill often lands inside a write."""
    first = b"# A\n" + b"a = 1\n" * 180_000
    second = b"# B\n" + b"b = 2\n" * 170_000
    (tmp_path / "A").write_bytes(first)
    (tmp_path / "B").write_bytes(second)
    return first, second


def test_sigkill_at_random_moments_never_leaves_a_broken_file_or_backup(tmp_path: Path) -> None:
    first, second = _valid_contents(tmp_path)
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "smtp-wizard.toml"
    backup = folder / "smtp-wizard.toml.bak"
    rng = random.Random(7)
    started = time.monotonic()
    kills = 0
    while kills < 40 and time.monotonic() - started < 15:
        child = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(path), str(tmp_path / "A"), str(tmp_path / "B")],
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0, 0.06))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        kills += 1
        for survivor in (path, backup):
            if survivor.exists():
                assert survivor.read_bytes() in (first, second), f"kill {kills}: {survivor}"
    assert kills >= 20
    assert path.exists()
    # Whatever the kills left behind is ours to remove, and the next save does.
    write_file(path, first, backup=True)
    assert temp_files(folder) == []


_FULL_DISK = textwrap.dedent(
    """
    import errno, os, resource, signal, sys
    from pathlib import Path
    from smtp_wizard import fsutil
    from smtp_wizard.errors import UsageError
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death
    if sys.argv[3] == "no-links":
        def no_links(*args, **kwargs):
            raise OSError(errno.EPERM, "Operation not permitted")
        fsutil.os.link = no_links
    limit = int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        fsutil.write_file(Path(sys.argv[1]), sys.argv[4].encode() * 100, backup=True)
    except UsageError as error:
        print(error.message)
        print(error.hint)
        sys.exit(2)
    """
)


def _save_with_file_size_limit(
    path: Path, links: str, new_line: str
) -> subprocess.CompletedProcess[str]:
    """Save 100 times `new_line` into `path` under a 20 kB limit on any file written."""
    return subprocess.run(
        [sys.executable, "-c", _FULL_DISK, str(path), "20000", links, new_line],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
        check=False,
    )


LONG_LINE = "y = " + "2" * 66 + "\n"  # 71 bytes: 100 of them (7.1 kB) fit; 400 (28 kB) do not
SHORT_LINE = "y = 2\n"


# (hard links possible, new content) -> what fails: the new file itself (28 kB), or only
# the copied backup of the 30 kB old file (with links, the backup costs no byte: success).
@pytest.mark.parametrize(
    ("links", "new_line", "fails"),
    [
        ("links", LONG_LINE * 4, True),
        ("no-links", LONG_LINE * 4, True),
        ("no-links", SHORT_LINE, True),
        ("links", SHORT_LINE, False),
    ],
    ids=["new-file-too-big", "new-file-too-big-no-links", "backup-copy-too-big", "link-backup"],
)
def test_a_full_disk_changes_nothing_and_says_so(
    links: str, new_line: str, fails: bool, tmp_path: Path
) -> None:
    path = tmp_path / "smtp-wizard.toml"
    backup = tmp_path / "smtp-wizard.toml.bak"
    old = b"x = 1\n" * 5000  # 30 kB: over the limit, so copying it to the backup fails
    path.write_bytes(old)
    backup.write_bytes(OLD)
    child = _save_with_file_size_limit(path, links, new_line)
    assert temp_files(tmp_path) == []
    if not fails:
        assert child.returncode == 0, child.stdout + child.stderr
        assert path.read_bytes() == new_line.encode() * 100
        assert backup.read_bytes() == old
        return
    assert child.returncode == 2, child.stderr
    assert "File too large" in child.stdout
    assert "Nothing was changed" in child.stdout and str(backup) in child.stdout
    assert path.read_bytes() == old
    assert backup.read_bytes() == OLD


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB file system (root only, where mount is allowed); unmounted after."""
    need_root("mount")
    point = tmp_path / "tiny"
    point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def test_a_really_full_file_system_changes_nothing_and_says_so(tiny_tmpfs: Path) -> None:
    path = tiny_tmpfs / ".env"
    backup = tiny_tmpfs / ".env.bak"
    path.write_bytes(b"A=1\n" * 7000)  # 28 kB
    backup.write_bytes(b"B=2\n" * 5000)  # 20 kB: 16 kB left, less than the new file
    with pytest.raises(UsageError) as caught:
        write_file(path, b"C=3\n" * 7000, mode=0o600, backup=True)
    assert "No space left on device" in caught.value.message
    assert "Nothing was changed" in caught.value.hint and "Free some space" in caught.value.hint
    assert path.read_bytes() == b"A=1\n" * 7000
    assert backup.read_bytes() == b"B=2\n" * 5000
    assert temp_files(tiny_tmpfs) == []


# --- temporary files ------------------------------------------------------------------------

_STUCK_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from smtp_wizard import fsutil
    def stuck(fd):
        print("written", flush=True)
        time.sleep(60)
    fsutil.os.fsync = stuck
    fsutil.write_file(Path(sys.argv[1]), b"SMTP_PASSWORD=hunter2\\n", mode=0o600)
    """
)


def _killed_while_writing(path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _STUCK_WRITER, str(path)], stdout=subprocess.PIPE, cwd=ROOT
    )
    assert child.stdout is not None
    assert child.stdout.readline() == b"written\n"
    child.kill()
    child.wait()
    child.stdout.close()


@pytest.mark.parametrize("rule", [".env*", ".env.*"])
def test_a_killed_write_leaves_nothing_that_git_add_would_stage(rule: str, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text(f".env\n{rule}\n")
    _killed_while_writing(repo / ".env")
    leftovers = temp_files(repo)
    assert len(leftovers) == 1 and leftovers[0].startswith(".env.smtp-wizard-")
    status = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert status.strip() == "?? .gitignore"


def test_leftovers_of_earlier_runs_are_removed_and_nothing_else(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    folder.mkdir()
    _killed_while_writing(folder / ".env")
    legacy = folder / "..env.k3j2ab_9.tmp"  # the name smtp-wizard 0.1 used
    legacy.write_text("SMTP_PASSWORD=old\n")
    keep = [
        ".env.local",
        "other.smtp-wizard-abc.tmp",
        ".env.smtp-wizard-abc.tmp.keep",
        ".envx.smtp-wizard-abc.tmp",
        ".other.k3j2ab_9.tmp",
    ]
    for name in keep:
        (folder / name).write_text("x\n")
    assert len(temp_files(folder)) == 5  # the killed run's, the legacy one, 3 others

    write_file(folder / ".env", NEW, mode=0o600)

    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([".env", *keep])


def test_a_live_writers_temporary_file_is_not_taken_for_a_leftover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fsutil, "_LOCK_WAIT", 0.2)
    live = tmp_path / ".env.smtp-wizard-live.tmp"
    live.write_text("being written\n")
    holder = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)  # another smtp-wizard is writing here
        write_file(tmp_path / ".env", NEW, mode=0o600)
        assert live.exists()
    finally:
        os.close(holder)
    write_file(tmp_path / ".env", NEW, mode=0o600)
    assert not live.exists()


# --- ownership ------------------------------------------------------------------------------


def test_root_keeps_the_owner_and_group_of_another_users_file(tmp_path: Path) -> None:
    need_root("chown to another user")
    path = tmp_path / ".env"
    path.write_bytes(OLD)
    os.chown(path, 12345, 12345)
    path.chmod(0o600)
    result = write_file(path, NEW, mode=0o600, backup=True)
    assert (path.stat().st_uid, path.stat().st_gid) == (12345, 12345)
    assert result.backup is not None
    assert (result.backup.stat().st_uid, result.backup.stat().st_gid) == (12345, 12345)
    assert result.warnings == ()


def test_root_keeps_the_owner_of_a_copied_backup_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_root("chown to another user")

    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(fsutil.os, "link", no_links)
    path = tmp_path / "smtp-wizard.toml"
    path.write_bytes(OLD)
    os.chown(path, 12345, 12346)
    result = write_file(path, NEW, backup=True)
    assert result.backup is not None
    for written in (path, result.backup):
        assert (written.stat().st_uid, written.stat().st_gid) == (12345, 12346)


def test_an_owner_that_cannot_be_kept_is_reported(shared_dir: Path) -> None:
    need_root("act as two other users")
    os.chown(shared_dir, 12345, 12345)
    path = shared_dir / "smtp-wizard.toml"
    path.write_bytes(OLD)
    os.chown(path, 12346, 12346)
    path.chmod(0o666)
    with as_user(12345, 12345):
        result = write_file(path, NEW)
    assert path.read_bytes() == NEW
    assert (path.stat().st_uid, path.stat().st_gid) == (12345, 12345)
    (warning,) = result.warnings
    assert "belonged to 12346:12346" in warning
    assert "only root may give a file to another user" in warning
    assert f"sudo chown 12346:12346 {path}" in warning


# --- reading --------------------------------------------------------------------------------


def test_reads_a_regular_file_and_follows_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.toml"
    real.write_bytes(OLD)
    (tmp_path / "link.toml").symlink_to(real)
    assert read_regular_file(tmp_path / "link.toml", limit=1 << 20, what="config file") == OLD
    assert read_regular_file(real, limit=len(OLD), what="config file") == OLD


def test_a_missing_file_is_left_to_the_caller(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "none.toml", limit=100, what="config file")


def test_dev_zero_is_refused_at_once(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        read_regular_file(Path("/dev/zero"), limit=1 << 20, what="config file", error=ConfigError)
    assert caught.value.message == "/dev/zero is a character device, not a regular file."
    assert "regular config file" in caught.value.hint
    assert time.monotonic() - started < 1


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "smtp-wizard.toml"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"is a named pipe \(FIFO\), not a regular file"):
        read_regular_file(fifo, limit=1 << 20, what="config file", error=ConfigError)
    assert time.monotonic() - started < 2


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a directory, not a regular file"):
        read_regular_file(tmp_path, limit=1 << 20, what="config file")


def test_a_file_over_the_limit_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "smtp-wizard.toml"
    with big.open("wb") as handle:
        handle.truncate(50 * 1000 * 1000)  # sparse: costs no disk
    with pytest.raises(ConfigError) as caught:
        read_regular_file(big, limit=1 << 20, what="config file", error=ConfigError)
    assert caught.value.message == (
        f"{big} is 47.7 MiB, too large for a config file (the limit is 1.0 MiB)."
    )


def test_mode_0000_is_read_by_root_and_refused_to_others(shared_dir: Path) -> None:
    path = shared_dir / "smtp-wizard.toml"
    path.write_bytes(OLD)
    path.chmod(0o000)
    if not is_root():
        with pytest.raises(ConfigError, match="Permission denied"):
            read_regular_file(path, limit=100, what="config file", error=ConfigError)
        return
    # Root reads whatever the mode says (CAP_DAC_OVERRIDE): not an error to report.
    assert read_regular_file(path, limit=100, what="config file") == OLD
    with as_user(12345, 12345), pytest.raises(ConfigError) as caught:
        read_regular_file(path, limit=100, what="config file", error=ConfigError)
    assert caught.value.message == f"Cannot read the config file {path}: Permission denied."


def test_the_older_interface_still_returns_the_backup(tmp_path: Path) -> None:
    path = tmp_path / "smtp-wizard.toml"
    assert atomic_write(path, OLD, backup=True) is None
    assert atomic_write(path, NEW, backup=True) == tmp_path / "smtp-wizard.toml.bak"
