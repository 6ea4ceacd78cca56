"""Reading and writing the user's files so that no crash, full disk or odd path loses one.

Writing: the new content goes to a temporary file in the target's own folder (so the final
rename stays on one file system), is flushed and fsynced, and only then replaces the target
with `os.replace`. Until that rename the old file is untouched. The backup is made the same
way, never rewritten in place: the old file is hard-linked (or, where links are not
possible, copied and fsynced) to a temporary name that is then renamed to `<name>.bak`. At
every instant the target and its backup each hold one complete version.

What is at the path decides what happens:
- a regular file, or nothing (its folder must exist): replaced / created;
- a symbolic link (to a regular file, or dangling into a folder that exists): written
  through, the link is kept and its target is replaced atomically in the target's folder
  (a user who links `.env` to a shared file means that file);
- anything else (directory, device, FIFO, socket): refused with a UsageError. As root,
  `--output /dev/null` would otherwise replace the device with a file holding a password.

The backup lives beside the path the caller gave (`smtp-wizard.toml.bak` beside the link
`smtp-wizard.toml`), where the user looks for it. A symbolic link there is never followed:
the name belongs to us, and following it would let a planted link (`x.bak ->
/etc/shadow`) make a save as root overwrite any file; the link itself is replaced by the
backup, with a warning. Refusing instead would block every save for no gain.

Temporary files are named `<name>.smtp-wizard-<random>.tmp` (`.env.smtp-wizard-x1y2.tmp`),
so the ignore rules that cover the target (`.env*`, `.env.*`, `*.toml*`) cover them too;
ones left by a killed run (and the `.<name>.<random>.tmp` of earlier versions) are removed
before the next write, under an advisory lock on the folder so that a concurrent
smtp-wizard's live temporary file is never taken for a leftover.

Run as root on another user's file, the new file (and a copied backup) gets the old
file's owner and group; when that is not allowed, `WriteResult.warnings` says so.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import grp
import os
import pwd
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from smtp_wizard.errors import UsageError

TEMP_MARK = ".smtp-wizard-"
"""Between the target's name and the random part of every temporary file we create."""

_LOCK_WAIT = 2.0
"""Seconds to wait for another smtp-wizard writing in the same folder before going ahead
without the leftover cleanup (the write itself is atomic either way)."""

# Why os.link can fail where a copy would still work: another file system, no hard links
# (FAT, some FUSE), the link limit, protected_hardlinks for someone else's file.
_NO_LINK = (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP, errno.ENOSYS)

# errno -> what to do about it, for the hint of a failed write.
_ADVICE = {
    errno.ENOSPC: "Free some space on that file system, then try again.",
    errno.EDQUOT: "Your disk quota is used up: free some space, then try again.",
    errno.EFBIG: "The file system (or a limit on file size) refused the file's size.",
    errno.EACCES: "Check that you may write to the folder.",
    errno.EPERM: "Check that you may write to the folder.",
    errno.EROFS: "The file system is mounted read-only.",
}


@dataclass(frozen=True)
class WriteResult:
    """What `write_file` did, for the caller to report."""

    path: Path
    """The file that now holds the data: the given path, or the target of a symbolic link."""
    backup: Path | None
    """The previous content's new home (`<name>.bak`), when a backup was asked for and
    there was a previous file."""
    warnings: tuple[str, ...] = ()
    """Things the user should know although the write succeeded (an owner that could not
    be kept, a backup link that was replaced); each a complete sentence."""


def describe_kind(mode: int) -> str:
    """What a non-regular file is, in words a user recognises."""
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
    )
    for test, kind in kinds:
        if test(mode):
            return kind
    return "not a regular file"


def _not_regular(path: Path, mode: int, hint: str) -> UsageError:
    return UsageError(f"{path} is {describe_kind(mode)}, not a regular file.", hint)


# --- reading --------------------------------------------------------------------------------


def read_regular_file(
    path: Path, *, limit: int, what: str, error: type[UsageError] = UsageError
) -> bytes:
    """The bytes of the regular file at `path` (symbolic links followed), at most `limit`.

    Raises `error` (naming the path and what is there) for a directory, a device (reading
    `/dev/zero` would never end), a FIFO (opening it would block until a writer comes), a
    socket, a file larger than `limit`, or any other OSError; FileNotFoundError is left to
    the caller, who knows what a missing file means. `what` names the file in messages
    ("config file", ".env file").

    The type is checked twice: with stat before opening (so a FIFO is never opened), and
    with fstat on the open descriptor (so a file swapped in between is still caught);
    O_NONBLOCK makes even that racing open of a FIFO return at once. As root, permission
    bits do not stop a read (a mode-0000 file is read like any other).
    """
    path = Path(path)
    hint = f"Give the path of a regular {what}."
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            raise _as(error, _not_regular(path, before.st_mode, hint))
        _check_size(path, before.st_size, limit, what, error)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise error(
            f"Cannot read the {what} {path}: {exc.strerror or exc}.",
            f"Check that it exists and that you may read it. {hint}",
        ) from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise _as(error, _not_regular(path, opened.st_mode, hint))
        _check_size(path, opened.st_size, limit, what, error)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # a file growing while we read is still bounded
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        _check_size(path, size, limit, what, error)
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"Cannot read the {what} {path}: {exc.strerror or exc}.", hint) from None
    finally:
        os.close(fd)


def _check_size(path: Path, size: int, limit: int, what: str, error: type[UsageError]) -> None:
    if size > limit:
        raise error(
            f"{path} is {_size(size)}, too large for a {what} (the limit is {_size(limit)}).",
            f"Check that {path} is the {what} you meant.",
        )


def _size(count: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def _as(error: type[UsageError], exc: UsageError) -> UsageError:
    return exc if type(exc) is error else error(exc.message, exc.hint)


# --- writing --------------------------------------------------------------------------------


def atomic_write(
    path: Path, data: bytes, *, mode: int | None = None, backup: bool = False
) -> Path | None:
    """`write_file`, returning only the backup's path (the older interface).

    Its warnings are lost: callers should move to `write_file` and show them.
    """
    return write_file(path, data, mode=mode, backup=backup).backup


def write_file(
    path: Path, data: bytes, *, mode: int | None = None, backup: bool = False
) -> WriteResult:
    """Replace the file at `path` (or a symbolic link's target) with `data`, atomically.

    `mode` sets the permission bits of the new file before any byte is written to it, so
    a secret never sits in a file that others can read. Without `mode` the new file keeps
    the permissions of the file it replaces (0644 for a new one). The owner and group are
    kept where allowed. With `backup`, the previous content is kept as `<name>.bak` beside
    `path`.

    UsageError, before anything is touched, when `path` (or what a link points to) is not
    a regular file or its folder is missing; UsageError when writing fails, saying exactly
    what is left as it was.
    """
    path = Path(path)
    hint = "smtp-wizard only replaces regular files: give the path of one (or of a new file)."
    target = _target(path, hint)
    backup_path = path.with_name(path.name + ".bak") if backup else None
    warnings: list[str] = []
    if backup_path is not None:
        with contextlib.suppress(FileNotFoundError):
            existing = os.lstat(backup_path)
            if stat.S_ISLNK(existing.st_mode):
                warnings.append(
                    f"{backup_path} was a symbolic link (to {os.readlink(backup_path)}); "
                    "smtp-wizard never writes through a backup link, so the link itself is "
                    "now the backup file."
                )
            elif not stat.S_ISREG(existing.st_mode):
                raise _not_regular(
                    backup_path,
                    existing.st_mode,
                    f"It is where smtp-wizard keeps the previous {path.name}: move it away.",
                )

    # Real paths: one folder named two ways must be locked once (a second flock on it
    # through another descriptor would wait for the first).
    parents = {target.parent, *([backup_path.parent] if backup_path else [])}
    folders = sorted({Path(os.path.realpath(folder)) for folder in parents}, key=str)
    with contextlib.ExitStack() as stack:
        for folder in folders:
            if stack.enter_context(_folder_lock(folder)):
                _remove_leftovers(folder, {target.name, path.name, path.name + ".bak"})
        made_backup = _write_locked(path, target, data, mode, backup_path, warnings)
    return WriteResult(path=target, backup=made_backup, warnings=tuple(warnings))


def _target(path: Path, hint: str) -> Path:
    """The regular file that `path` names: itself, or the end of its chain of links."""
    try:
        link = os.lstat(path)
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise UsageError(f"Cannot write {path}: {exc.strerror or exc}.", hint) from None
    if not stat.S_ISLNK(link.st_mode):
        if not stat.S_ISREG(link.st_mode):
            raise _not_regular(path, link.st_mode, hint)
        return path
    target = Path(os.path.realpath(path))
    try:
        found = os.stat(target)
    except FileNotFoundError:
        # A dangling link: create its target, as `echo > link` would, if its folder exists.
        if not target.parent.is_dir():
            raise UsageError(
                f"{path} is a symbolic link to {target}, whose folder does not exist.",
                "Create that folder, or replace the link with a file.",
            ) from None
        return target
    except OSError as exc:  # a loop of links, a component that is not a folder, ...
        raise UsageError(
            f"{path} is a symbolic link that cannot be followed: {exc.strerror or exc}.",
            "Replace the link with a file, or point it at one.",
        ) from None
    if not stat.S_ISREG(found.st_mode):
        raise UsageError(
            f"{path} is a symbolic link to {target}, which is {describe_kind(found.st_mode)}, "
            "not a regular file.",
            hint,
        )
    return target


def _write_locked(
    path: Path,
    target: Path,
    data: bytes,
    mode: int | None,
    backup_path: Path | None,
    warnings: list[str],
) -> Path | None:
    """The write itself: temporary file, backup, rename. Returns the backup made, if any."""
    try:
        old: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        old = None
    except OSError as exc:
        raise UsageError(
            f"Cannot write {path}: {exc.strerror or exc}.", _advice(exc, "Nothing was changed.")
        ) from None
    if old is not None and not stat.S_ISREG(old.st_mode):  # swapped in since `_target`
        raise _not_regular(target, old.st_mode, "Nothing was changed.")
    if mode is None:
        mode = stat.S_IMODE(old.st_mode) if old is not None else 0o644

    tmp = _mkstemp(path, target)
    backup_made: Path | None = None
    state = "nothing"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CLOEXEC)
        try:
            if old is not None:
                _keep_owner(fd, target, old, warnings)
            os.fchmod(fd, mode)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if backup_path is not None and old is not None:
            _make_backup(target, old, backup_path, warnings)
            backup_made = backup_path
            state = "backup"
        os.replace(tmp, target)
        state = "done"
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if state == "backup":
            unchanged = (
                f"{path} is unchanged; its backup {backup_path} now holds that same, "
                "unchanged content."
            )
        elif backup_path is not None:
            unchanged = f"Nothing was changed: {path} and {backup_path} are as they were."
        else:
            unchanged = f"Nothing was changed: {path} is as it was."
        raise UsageError(
            f"Cannot write {path}: {exc.strerror or exc}.", _advice(exc, unchanged)
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    for folder in {target.parent, *([backup_path.parent] if backup_made else [])}:
        _fsync_folder(folder)
    return backup_made


def _mkstemp(path: Path, target: Path) -> Path:
    """An empty temporary file beside `target`, named after it, mode 0600."""
    folder = target.parent
    try:
        fd, name = tempfile.mkstemp(prefix=target.name + TEMP_MARK, suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UsageError(
            f"Cannot write {path}: {exc.strerror or exc}.",
            _advice(
                exc,
                f"Check that the folder {Path(os.path.abspath(folder))} exists and that you "
                "may write to it. Nothing was changed.",
            ),
        ) from None
    os.close(fd)
    return Path(name)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _keep_owner(fd: int, target: Path, old: os.stat_result, warnings: list[str]) -> None:
    """Give the new file the old one's owner and group, or say why it could not be done.

    chown before any byte is written and before fchmod (chown may clear mode bits).
    """
    current = os.fstat(fd)
    if (current.st_uid, current.st_gid) == (old.st_uid, old.st_gid):
        return
    try:
        os.fchown(fd, old.st_uid, old.st_gid)
        return
    except PermissionError:
        pass
    # Not root: a user may still give the file a group they belong to.
    with contextlib.suppress(PermissionError):
        os.fchown(fd, -1, old.st_gid)
    now = os.fstat(fd)
    warnings.append(
        f"{target} belonged to {_owner(old.st_uid, old.st_gid)}; the new file belongs to "
        f"{_owner(now.st_uid, now.st_gid)}, because only root may give a file to another "
        f"user. If the app runs as {_user(old.st_uid)}, run: "
        f"sudo chown {_user(old.st_uid)}:{_group(old.st_gid)} {target}"
    )


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _owner(uid: int, gid: int) -> str:
    return f"{_user(uid)}:{_group(gid)}"


def _make_backup(target: Path, old: os.stat_result, backup_path: Path, warnings: list[str]) -> None:
    """Make `backup_path` the previous content of `target`, atomically.

    A hard link of the old file to a temporary name, renamed over the backup: no byte is
    copied, and owner and mode come with the inode. Where no link is possible (another file
    system, a FAT or some FUSE file system, the link limit reached, protected_hardlinks for
    someone else's file), a copy written like the file itself: temporary file, fsync,
    rename.
    """
    tmp = _temp_name(backup_path)
    try:
        os.link(target, tmp, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in _NO_LINK:
            raise
        tmp = _copy_to_temp(target, old, backup_path, warnings)
    try:
        os.replace(tmp, backup_path)
    finally:
        # Gone after a rename, except when the backup already was this very file (a run
        # killed between its two renames): rename(2) then does nothing and keeps both names.
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _temp_name(path: Path) -> Path:
    """A fresh name for a hard link (os.link cannot pick one atomically as mkstemp does)."""
    return path.with_name(f"{path.name}{TEMP_MARK}{os.urandom(6).hex()}.tmp")


def _copy_to_temp(
    source: Path, old: os.stat_result, backup_path: Path, warnings: list[str]
) -> Path:
    tmp = _mkstemp(backup_path, backup_path)
    try:
        with open(source, "rb") as reader:
            fd = os.open(tmp, os.O_WRONLY | os.O_CLOEXEC)
            try:
                _keep_owner(fd, backup_path, old, warnings)
                os.fchmod(fd, stat.S_IMODE(old.st_mode))
                while chunk := reader.read(1 << 20):
                    _write_all(fd, chunk)
                os.fsync(fd)
            finally:
                os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return tmp


def _advice(exc: OSError, unchanged: str) -> str:
    advice = _ADVICE.get(exc.errno or 0)
    return f"{unchanged} {advice}" if advice else unchanged


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[bool]:
    """An advisory lock on `folder` shared by every smtp-wizard writing there; yields
    whether it was taken (not taken: another writer hung, or the file system has no
    locks). The kernel drops it when the process dies, so a kill never leaves it held."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        yield False
        return
    try:
        deadline = time.monotonic() + _LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    yield False
                    return
                time.sleep(0.02)
            except OSError:
                yield False
                return
        yield True
    finally:
        os.close(fd)


def _leftover_pattern(names: set[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(name) for name in sorted(names))
    return re.compile(
        rf"(?:{alternatives}){re.escape(TEMP_MARK)}[A-Za-z0-9_]+\.tmp"  # ours
        rf"|\.(?:{alternatives})\.[a-z0-9_]{{8}}\.tmp"  # smtp-wizard before 0.2
    )


def _remove_leftovers(folder: Path, names: set[str]) -> None:
    """Delete temporary files of ours for these names that a killed run left in `folder`.

    Called only while holding the folder's lock, so none of them is still being written.
    """
    pattern = _leftover_pattern(names)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)


def _fsync_folder(folder: Path) -> None:
    """Make the renames themselves durable (best effort: not every file system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
