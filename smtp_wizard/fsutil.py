"""Writing files so that a crash, a full disk or a read-only folder never loses one.

The new content goes to a temporary file in the same folder (so the final rename stays on
one file system), is flushed and fsynced, and only then replaces the target with
`os.replace`. Until that rename the old file is untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from smtp_wizard.errors import UsageError


def atomic_write(
    path: Path, data: bytes, *, mode: int | None = None, backup: bool = False
) -> Path | None:
    """Replace `path` with `data` atomically; return the backup's path if one was made.

    `mode` sets the permission bits of the new file before any byte is written to it, so
    a secret never sits in a file that others can read. Without `mode` the new file keeps
    the permissions of the file it replaces (or 0644 for a new one). With `backup`, the
    previous content is kept as `<name>.bak` beside it.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path()
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UsageError(
            f"Cannot write {path}: {exc.strerror or exc}.",
            f"Check that the folder {folder.resolve()} exists and that you may write to it.",
        ) from None
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        backup_path = None
        if backup and path.exists():
            backup_path = path.with_name(path.name + ".bak")
            shutil.copy2(path, backup_path)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise UsageError(
            f"Cannot write {path}: {exc.strerror or exc}.",
            "The previous file, if there was one, is unchanged.",
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_folder(folder)
    return backup_path


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every file system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
