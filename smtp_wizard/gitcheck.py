"""Is a file about to hold the password one that `git add` would pick up?

A `.env` inside a git work tree that no ignore rule covers is one `git add -A` away from
being committed, password included. The check asks git itself (`rev-parse`,
`check-ignore`, `ls-files`), so every ignore source counts: `.gitignore` files at any
level, `.git/info/exclude`, `core.excludesFile`. It only ever warns: with git missing,
slow, or the folder not a work tree (or one git refuses to read, such as another user's
repository without `safe.directory`), it says nothing rather than guess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

TIMEOUT = 3.0
"""Seconds for each git command: a local lookup, but a network file system can hang."""


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    """Run git in `folder`; None if it is not installed, hangs, or cannot start.

    fsmonitor and optional locks are off: a warning must not run a repository's hook
    program or take its index lock.
    """
    git = shutil.which("git")
    if git is None:
        return None
    env = {**os.environ, "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        return subprocess.run(
            [git, "-c", "core.fsmonitor=false", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None


def git_ignore_warning(path: Path) -> str | None:
    """A warning when the file at `path` is inside a git work tree and not ignored.

    A symbolic link is judged by its target, where the password actually is: a link
    committed to the repository holds no secret, a target inside it does.
    """
    target = Path(os.path.realpath(path))
    folder = target.parent
    if not folder.is_dir():
        return None
    top = _git(folder, "rev-parse", "--show-toplevel")
    if top is None or top.returncode != 0 or not top.stdout.strip():
        return None
    root = Path(top.stdout.strip())
    try:
        relative = target.relative_to(Path(os.path.realpath(root)))
    except ValueError:
        return None
    if relative.parts[:1] == (".git",):
        return None
    tracked = _git(root, "ls-files", "--error-unmatch", "--", str(relative))
    if tracked is not None and tracked.returncode == 0:
        return (
            f"{path} is tracked by the git repository at {root}: the next commit would hold "
            f"the password. Run `git rm --cached {relative}` and add `{target.name}` to "
            f"{root / '.gitignore'}."
        )
    ignored = _git(root, "check-ignore", "-q", "--", str(relative))
    if ignored is None or ignored.returncode != 1:  # 0: ignored; 128: git failed
        return None
    return (
        f"{path} is inside the git work tree at {root} and not ignored: `git add` would "
        f"commit the password. Add `{target.name}` to {root / '.gitignore'}."
    )
