"""The `.env` as a file: what is at the path, its owner, a file its loaders cannot read, and
whether git would commit it.

Read back with the real python-dotenv and the Compose port (tests/compose_dotenv.py);
git is the real git, in a repository made in the test's folder.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest
from dotenv import dotenv_values
from dotenv.parser import parse_stream
from hypothesis import given, settings
from hypothesis import strategies as st

from smtp_wizard import export
from smtp_wizard.config import Profile
from smtp_wizard.errors import ExportError
from smtp_wizard.export import render, write_dotenv
from smtp_wizard.gitcheck import git_ignore_warning
from smtp_wizard.secret import Secret
from tests.compose_dotenv import parse_file


def rendered() -> export.Rendered:
    profile = Profile(
        name="default",
        host="smtp.example.com",
        port=587,
        security="starttls",
        username="apikey",
        from_address="noreply@example.com",
        from_name="Example App",  # written single-quoted: the quote an open one would eat
    )
    return render("env", profile, Secret("s3cret pass"))


def ours() -> dict[str, str]:
    return {k: v.reveal() if isinstance(v, Secret) else v for k, v in rendered().entries}


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- what is at the path --------------------------------------------------------------------


def test_a_symlinked_env_is_written_through(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    real = secrets / "app.env"
    real.write_text("APP_DEBUG=1\n")
    link = tmp_path / ".env"
    link.symlink_to(real)

    result = write_dotenv(link, rendered())

    assert link.is_symlink()
    assert result.path == real
    assert dotenv_values(link) == {"APP_DEBUG": "1", **ours()}
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert temp_files(secrets) == [] and temp_files(tmp_path) == []


def test_a_device_as_output_is_refused_with_what_to_do_instead(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to mknod")
    null = tmp_path / "null"  # never the real /dev/null: old code replaced it
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    with pytest.raises(ExportError) as caught:
        write_dotenv(null, rendered())
    assert caught.value.message == f"{null} is a character device, not a regular file."
    assert "--output -" in caught.value.hint
    assert stat.S_ISCHR(os.lstat(null).st_mode)


def test_a_fifo_as_output_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / ".env"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(ExportError, match=r"named pipe \(FIFO\)"):
        write_dotenv(fifo, rendered())
    assert time.monotonic() - started < 2
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_folder_as_output_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="is a directory, not a regular file"):
        write_dotenv(tmp_path, rendered())


def test_an_env_too_large_to_be_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    with path.open("wb") as handle:
        handle.truncate(50 * 1000 * 1000)
    with pytest.raises(ExportError, match=r"too large for a \.env file"):
        write_dotenv(path, rendered())
    assert path.stat().st_size == 50 * 1000 * 1000


def test_root_keeps_the_owner_of_the_apps_env(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to chown to another user")
    path = tmp_path / ".env"
    path.write_text("APP_DEBUG=1\n")
    os.chown(path, 12345, 12345)
    result = write_dotenv(path, rendered())
    assert (path.stat().st_uid, path.stat().st_gid) == (12345, 12345)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert result.warnings == ()


# --- a .env its loaders cannot read ---------------------------------------------------------

UNREADABLE = {
    "unclosed-single": ("GREETING='hello\n", 1, "(GREETING): its value opens a single quote"),
    "unclosed-double": ('A=1\n\n# c\nGREETING="hello\n', 4, "(GREETING): its value opens a double"),
    "unclosed-crlf": ("A=1\r\nGREETING='hello\r\nB=2\r\n", 2, "never closed"),
    "after-quote": ("GREETING='hello' world\n", 1, "more text after its closing quote"),
    "open-key": ("'GREETING=hello\n", 1, "its name opens a single quote"),
    "no-name": ("=hello\n", 1, "no variable name before the ="),
    "two-words": ("A=1\nhello world\n", 2, "neither KEY=value"),
}


@pytest.mark.parametrize(("text", "line", "reason"), UNREADABLE.values(), ids=UNREADABLE.keys())
def test_a_env_its_loaders_cannot_read_is_refused_naming_the_line(
    text: str, line: int, reason: str, tmp_path: Path
) -> None:
    path = tmp_path / ".env"
    path.write_bytes(text.encode())
    with pytest.raises(ExportError) as caught:
        write_dotenv(path, rendered())
    message = caught.value.message
    assert message.startswith(f"{path}, line {line}")
    assert reason in message
    assert "did not write" in message
    assert "hello" not in str(caught.value)  # a line may hold a secret: never quoted
    assert path.read_bytes() == text.encode()
    assert temp_files(tmp_path) == []


def test_the_issue_case_would_have_lost_the_new_keys(tmp_path: Path) -> None:
    """Why refusing matters: merged naively, python-dotenv reads the new keys as part of
    GREETING up to the next quote, ours."""
    naive = "GREETING='hello\n" + export.format_dotenv(rendered(), reveal=True)
    values = dotenv_values(stream=io.StringIO(naive))
    assert "SMTP_HOST" not in values


ACCEPTED = {
    "backtick": "GREETING=`hello\n",
    "apostrophe-unquoted": "NAME=O'Brien\n",
    "quote-in-comment": "# it's \"quoted\"\nA=1 # don't\n",
    "multi-line-closed": 'CERT="line one\nline two"\nB=2\n',
    "escaped-quote": "A='it\\'s'\n",
    "export-and-replace": "export SMTP_HOST=old.example.com\nAPP=1\n",
    "crlf": "A=1\r\nB='two'\r\n",
    "bare-key-and-empty": "BARE\nEMPTY=\n",
    "no-final-newline": "A=1",
}


@pytest.mark.parametrize("text", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_a_readable_env_is_merged_and_reads_back(text: str, tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(text.encode())
    before = dotenv_values(path)
    before_compose = parse_file(path)
    write_dotenv(path, rendered())
    after = dotenv_values(path)
    kept = {k: v for k, v in before.items() if k not in ours()}
    assert after == {**kept, **ours()}
    after_compose = parse_file(path)
    assert after_compose == {
        **{k: v for k, v in before_compose.items() if k not in ours()},
        **ours(),
    }


def _python_dotenv(text: str) -> list[tuple[str | None, str | None, bool]]:
    return [
        (b.key, b.value, b.error)
        for b in parse_stream(io.StringIO(text))
        if b.key is not None or b.error
    ]


def _mirror(text: str) -> list[tuple[str | None, str | None, bool]]:
    return [
        (b.key if b.error is None else None, b.value, b.error is not None)
        for b in export._dotenv_bindings(text)
        if b.key is not None or b.error is not None
    ]


PIECES = st.sampled_from(
    ["A", "b", "=", "'", '"', "\\", "#", " ", "\t", "\n", "\r\n", "\r", "export ", "`", "é"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=30).map("".join))
def test_the_refusal_reads_a_file_exactly_as_python_dotenv_does(text: str) -> None:
    assert _mirror(text) == _python_dotenv(text)


# --- git --------------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    git(folder, "init", "-q")
    return folder


def test_warns_when_the_env_is_in_a_work_tree_and_not_ignored(repo: Path) -> None:
    (repo / "app").mkdir()
    path = repo / "app" / ".env"
    write_dotenv(path, rendered())
    assert git_ignore_warning(path) == (
        f"{path} is inside the git work tree at {repo} and not ignored: `git add` would "
        f"commit the password. Add `.env` to {repo}/.gitignore."
    )


@pytest.mark.parametrize("rule", [".env", ".env*", "/app/.env", "app/"])
def test_no_warning_when_a_rule_ignores_it(rule: str, repo: Path) -> None:
    (repo / ".gitignore").write_text(f"{rule}\n")
    (repo / "app").mkdir()
    assert git_ignore_warning(repo / "app" / ".env") is None


def test_a_tracked_env_gets_a_stronger_warning(repo: Path) -> None:
    path = repo / ".env"
    path.write_text("A=1\n")
    git(repo, "add", ".env")
    (repo / ".gitignore").write_text(".env\n")  # too late: it is tracked already
    warning = git_ignore_warning(path)
    assert warning is not None
    assert "is tracked by the git repository" in warning
    assert "git rm --cached .env" in warning


def test_a_link_is_judged_by_where_the_password_is(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secrets.env"
    (repo / ".env").symlink_to(outside)
    assert git_ignore_warning(repo / ".env") is None  # only the link would be committed
    (repo / "real.env").touch()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / ".env").symlink_to(repo / "real.env")
    warning = git_ignore_warning(tmp_path / "elsewhere" / ".env")
    assert warning is not None and "Add `real.env`" in warning


def test_no_warning_outside_a_work_tree(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    assert git_ignore_warning(folder / ".env") is None


def test_no_warning_when_git_is_not_installed(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert git_ignore_warning(repo / ".env") is None
