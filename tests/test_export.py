"""Exports: every value reads back the same in python-dotenv and Docker Compose, merges keep
what is not ours, and the password shows only where it was asked for.

"Docker Compose" here is `tests/compose_dotenv.py`, a port of compose-go's parser (Compose
itself is not installed where the tests run); its own faithfulness is checked first, on the
vectors of compose-go's test suite.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from dotenv import dotenv_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtp_wizard import export
from smtp_wizard.config import Profile
from smtp_wizard.errors import ExportError
from smtp_wizard.export import FORMATS, Rendered, format_dotenv, render, write_dotenv
from smtp_wizard.secret import Secret
from tests.compose_dotenv import ComposeDotenvError, parse, parse_file

# Variables the tricky passwords mention: if anything expanded them, the test would see it.
TRAP_ENV = {"X": "expanded-X", "HOME": "expanded-HOME", "word": "expanded-word"}


def make_profile(**changes: object) -> Profile:
    fields: dict[str, object] = {
        "name": "default",
        "host": "smtp.example.com",
        "port": 587,
        "security": "starttls",
        "username": "apikey",
        "from_address": "noreply@example.com",
        "from_name": "Example App",
    }
    fields.update(changes)
    return Profile(**fields)  # type: ignore[arg-type]


def clear(value: str | Secret) -> str:
    return value.reveal() if isinstance(value, Secret) else value


def expected(rendered: Rendered) -> dict[str, str]:
    return {key: clear(value) for key, value in rendered.entries}


def read_both(path: Path) -> tuple[dict[str, str | None], dict[str, str]]:
    """The file as python-dotenv and as Docker Compose read it (environment included)."""
    return dict(dotenv_values(path, encoding="utf-8")), parse_file(path, dict(os.environ))


@pytest.fixture
def trap_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TRAP_ENV.items():
        monkeypatch.setenv(name, value)


# --- the Compose port is faithful -----------------------------------------------------------

# TestParsing in compose-go dotenv/godotenv_test.go: (line, key, value).
COMPOSE_GO_VECTORS = [
    ("FOO=bar", "FOO", "bar"),
    ("FOO =bar", "FOO", "bar"),
    ("FOO= bar", "FOO", "bar"),
    ('FOO="bar"', "FOO", "bar"),
    ("FOO='bar'", "FOO", "bar"),
    ('FOO="escaped\\"bar"', "FOO", 'escaped"bar'),
    ('FOO="\\"quoted\\""', "FOO", '"quoted"'),
    ("FOO=\"'d'\"", "FOO", "'d'"),
    ("OPTION_A: 1", "OPTION_A", "1"),
    ("OPTION_A: Foo=bar", "OPTION_A", "Foo=bar"),
    ("OPTION_A=1:B", "OPTION_A", "1:B"),
    ("export OPTION_A=2", "OPTION_A", "2"),
    ("export OPTION_B='\\n'", "OPTION_B", "\\n"),
    ("export exportFoo=2", "exportFoo", "2"),
    ("exportFOO=2", "exportFOO", "2"),
    ("export_FOO =2", "export_FOO", "2"),
    ("export.FOO= 2", "export.FOO", "2"),
    ("export\tOPTION_A=2", "OPTION_A", "2"),
    ("  export OPTION_A=2", "OPTION_A", "2"),
    ("\texport OPTION_A=2", "OPTION_A", "2"),
    ('export OPTION_A="export A"', "OPTION_A", "export A"),
    ('FOO="bar\\nbaz"', "FOO", "bar\nbaz"),
    ("FOO=a\\tb", "FOO", "a\\tb"),
    ('FOO="a\\tb"', "FOO", "a\tb"),
    ('KEY="Z\\aZ\\bZ\\fZ\\nZ\\rZ\\tZ\\vZ\\\\Z\\0123Z"', "KEY", "Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\ZSZ"),
    ("FOO.BAR=foobar", "FOO.BAR", "foobar"),
    ("FOO=foobar=", "FOO", "foobar="),
    ("FOO=bar ", "FOO", "bar"),
    ("FOO=bar # this is foo", "FOO", "bar"),
    ("FOO=bar #this is foo", "FOO", "bar"),
    ("FOO=bar #", "FOO", "bar"),
    ("FOO=123#not-an-inline-comment", "FOO", "123#not-an-inline-comment"),
    ('FOO="bar#baz"', "FOO", "bar#baz"),
    ('FOO="bar#baz"#', "FOO", "bar#baz"),
    ('FOO="bar#baz" # comment', "FOO", "bar#baz"),
    ("FOO='bar#baz' # comment", "FOO", "bar#baz"),
    ('FOO="bar#baz#bang" # comment', "FOO", "bar#baz#bang"),
    ('FOO="bar\\n\\ b\\az"', "FOO", "bar\n\\ b\az"),
    ('FOO="bar\\\\\\n\\ b\\az"', "FOO", "bar\\\n\\ b\az"),
    ('FOO="bar\\\\r\\ b\\az"', "FOO", "bar\\r\\ b\az"),
    ('FOO="bar\\nbaz\\\\"', "FOO", "bar\nbaz\\"),
    ('="value"', "", "value"),
    (" KEY =value", "KEY", "value"),
    ("\tKEY=value", "KEY", "value"),
    ('KEY="\\0123"', "KEY", "S"),
    ('KEY="\\x07"', "KEY", "\\x07"),
    ('KEY="\\u12e4"', "KEY", "\\u12e4"),
    ("OPTION_K='Let\\'s go!'", "OPTION_K", "Let's go!"),
]


@pytest.mark.parametrize(("line", "key", "value"), COMPOSE_GO_VECTORS)
def test_compose_port_reads_compose_go_test_vectors_the_same(line: str, key: str, value: str):
    assert parse(line)[key] == value


def test_compose_port_interpolates_unquoted_and_double_quoted_but_not_single_quoted():
    env = {"X": "zz"}
    text = 'A=pa$X\nB="pa${X}"\nC=\'pa$X\'\nD=pa$$X\nE="pa\\$X"\nF=${NOPE:-d}\nG=$1\n'
    assert parse(text, env) == {
        "A": "pazz",
        "B": "pazz",
        "C": "pa$X",
        "D": "pa$X",
        "E": "pa$X",
        "F": "d",
        "G": "$1",
    }


def test_compose_port_refuses_what_compose_refuses():
    for text in ("lol$wut", 'A="unterminated', "A=${", "A=${1}", "A=${X:?needed}"):
        with pytest.raises(ComposeDotenvError):
            parse(text)


def test_python_dotenv_expands_braced_variables_even_in_single_quotes(trap_env: None):
    """Why a `${...}` password is refused: no quoting protects it from python-dotenv."""
    values = dotenv_values(stream=io.StringIO("A='p${X}'\nB=\"p${X}\"\nC=p${X}\n"))
    assert set(values.values()) == {"pexpanded-X"}


# --- passwords read back literally ----------------------------------------------------------

TRICKY_PASSWORDS = {
    "dollar": "pa$$word",
    "dollar_name": "pa$word",
    "dollar_home": "$HOME",
    "dollar_braces_unclosed": "a${X",
    "dollar_brace_colon": "${a:b}",
    "dollar_at_end": "cash$",
    "dollar_digit": "$1$2",
    "hash": "pass#word",
    "space_hash": "pass #word",
    "single_quote": "it's",
    "double_quote": 'say "hi"',
    "both_quotes": 'it\'s "fine"',
    "quotes_and_dollar": "it's $word",
    "spaces": "two words here",
    "leading_trailing_spaces": "  padded  ",
    "backslash": "back\\slash",
    "trailing_backslash": "ends\\",
    "double_backslash": "a\\\\b",
    "backslash_n_literally": "line\\nbreak",
    "backslash_dollar": "\\$HOME",
    "dollar_and_backslash": "$a\\b",
    "backslash_quote": "\\'x",
    "equals": "a=b==",
    "base64_like": "SG.abc+/def==",
    "accents": "pässwörd-é",
    "emoji": "🔑secret🚀",
    "cjk": "密码パスワード",
    "nbsp_edges": "\u00a0nbsp\u00a0",
    "one_char": "x",
    "one_quote": "'",
    "one_backslash": "\\",
    "one_dollar": "$",
}


@pytest.mark.parametrize("password", TRICKY_PASSWORDS.values(), ids=TRICKY_PASSWORDS.keys())
def test_password_reads_back_literally_in_python_dotenv_and_compose(
    password: str, tmp_path: Path, trap_env: None
):
    rendered = render("env", make_profile(), Secret(password))
    path = tmp_path / ".env"
    write_dotenv(path, rendered)
    python_values, compose_values = read_both(path)
    assert python_values == expected(rendered)
    assert compose_values == expected(rendered)
    assert compose_values["SMTP_PASSWORD"] == password


def test_password_with_dollar_reads_back_literally_in_compose(tmp_path: Path, trap_env: None):
    path = tmp_path / ".env"
    write_dotenv(path, render("nodemailer", make_profile(), Secret("pa$word$X")))
    assert parse_file(path, TRAP_ENV)["SMTP_PASS"] == "pa$word$X"


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_reads_back_identically_in_both_parsers(
    fmt: str, tmp_path: Path, trap_env: None
):
    profile = make_profile(username="user@example.com", from_name='Jane "JD" Doe, Ltd.')
    rendered = render(fmt, profile, Secret('it\'s "$word" #1 \\o/ é'))
    path = tmp_path / ".env"
    write_dotenv(path, rendered)
    python_values, compose_values = read_both(path)
    assert python_values == compose_values == expected(rendered)


@pytest.mark.parametrize("password", ["${X}", "pa${X}ss", "${X:-default}", "${}"])
def test_password_with_braced_variable_is_refused_without_showing_it(password: str):
    with pytest.raises(ExportError) as caught:
        render("env", make_profile(), Secret(password))
    text = str(caught.value)
    assert "${...}" in text
    assert "python-dotenv" in text
    assert password not in text


def test_password_combining_compose_dollar_and_double_backslash_is_refused():
    with pytest.raises(ExportError) as caught:
        render("env", make_profile(), Secret("$word\\\\"))
    assert "$word" not in str(caught.value)


PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\u2028\u2029")
AWKWARD = st.sampled_from(list("$'\"\\{}#= :-_aZ0é😀中\u00a0"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(password=st.text(alphabet=st.one_of(AWKWARD, PRINTABLE), min_size=1, max_size=24))
def test_any_printable_password_reads_back_identically_or_is_refused_for_a_stated_reason(
    password: str,
):
    try:
        rendered = render("env", make_profile(), Secret(password))
    except ExportError as error:
        # Refused: only for the two documented reasons, and without echoing the password.
        reason = str(error)
        assert "${...}" in reason or "backslash" in reason
        assert "$" in password
        assert password not in reason or len(password) < 3
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ".env"
        write_dotenv(path, rendered)
        python_values = dict(dotenv_values(path, encoding="utf-8"))
        compose_values = parse_file(path, dict(os.environ))
    assert python_values == compose_values == expected(rendered)
    assert compose_values["SMTP_PASSWORD"] == password


@pytest.mark.parametrize("password", ["abc\ndef", "abc\r\ndef", "abc\rdef", "trailing\n"])
def test_password_with_line_break_is_refused_with_a_message_that_hides_it(password: str):
    with pytest.raises(ExportError) as caught:
        render("django", make_profile(), Secret(password))
    text = str(caught.value)
    assert "line break" in text
    for part in password.split():
        assert part not in text


def test_password_with_another_control_character_is_refused_naming_the_character():
    with pytest.raises(ExportError) as caught:
        render("env", make_profile(), Secret("bell\x07ring"))
    assert "U+0007" in str(caught.value)
    assert "bell" not in str(caught.value)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("field", ["username", "from_name", "from_address"])
def test_control_character_in_any_other_value_is_refused_naming_the_field(fmt: str, field: str):
    with pytest.raises(ExportError) as caught:
        render(fmt, make_profile(**{field: "evil\x1b[2Jname"}), Secret("pw"))
    assert field in str(caught.value)
    assert "U+001B" in str(caught.value)


# --- what the password shows --------------------------------------------------------------

SECRET = "Zq9-unique-P@ss/w%rd"


@pytest.mark.parametrize("fmt", FORMATS)
def test_preview_without_reveal_does_not_contain_the_password(fmt: str):
    rendered = render(fmt, make_profile(), Secret(SECRET))
    text = format_dotenv(rendered, reveal=False)
    assert SECRET not in text
    assert "Zq9-unique" not in text  # nor its percent-encoded form inside a URL
    assert export.HIDDEN in text
    assert "--reveal" in text
    assert text.startswith(f"# smtp-wizard: {fmt} settings\n")


@pytest.mark.parametrize("fmt", FORMATS)
def test_preview_with_reveal_contains_the_password_and_reads_back(fmt: str):
    rendered = render(fmt, make_profile(), Secret(SECRET))
    text = format_dotenv(rendered, reveal=True)
    assert "Zq9-unique" in text
    assert "--reveal" not in text
    values = parse(text)
    assert values == dict(dotenv_values(stream=io.StringIO(text))) == expected(rendered)


@pytest.mark.parametrize("fmt", FORMATS)
def test_repr_and_snippet_of_a_rendering_never_contain_the_password(fmt: str):
    rendered = render(fmt, make_profile(), Secret(SECRET))
    for text in (repr(rendered), str(rendered), rendered.snippet):
        assert "Zq9-unique" not in text


def test_password_entry_holds_the_secret_it_was_given():
    password = Secret(SECRET)
    rendered = render("env", make_profile(), password)
    assert dict(rendered.entries)["SMTP_PASSWORD"] is password


def test_no_password_renders_an_empty_one_and_a_url_without_it():
    rendered = render("env", make_profile(), None)
    values = expected(rendered)
    assert values["SMTP_PASSWORD"] == ""
    assert values["SMTP_URL"] == "smtp://apikey@smtp.example.com:587"
    assert export.HIDDEN not in format_dotenv(rendered, reveal=False)


# --- framework settings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("security", "port", "tls", "ssl"),
    [
        ("starttls", 587, "true", "false"),
        ("ssl", 465, "false", "true"),
        ("none", 25, "false", "false"),
    ],
)
def test_django_never_sets_both_tls_and_ssl(security: str, port: int, tls: str, ssl: str):
    values = expected(render("django", make_profile(security=security, port=port), Secret("pw")))
    assert (values["EMAIL_USE_TLS"], values["EMAIL_USE_SSL"]) == (tls, ssl)


def test_django_snippet_reads_the_variables_with_their_types(monkeypatch: pytest.MonkeyPatch):
    rendered = render("django", make_profile(security="ssl", port=465), Secret(SECRET))
    for key, value in expected(rendered).items():
        monkeypatch.setenv(key, value)
    settings_module: dict[str, object] = {"BASE_DIR": Path()}
    exec(compile(rendered.snippet, "settings.py", "exec"), settings_module)  # noqa: S102
    assert settings_module["EMAIL_PORT"] == 465
    assert settings_module["EMAIL_USE_SSL"] is True
    assert settings_module["EMAIL_USE_TLS"] is False
    assert settings_module["EMAIL_HOST_PASSWORD"] == SECRET
    assert settings_module["DEFAULT_FROM_EMAIL"] == "Example App <noreply@example.com>"


def test_django_from_address_quotes_a_display_name_with_a_comma():
    rendered = render("django", make_profile(from_name="Doe, Jane"), Secret("pw"))
    assert expected(rendered)["DEFAULT_FROM_EMAIL"] == '"Doe, Jane" <noreply@example.com>'


def test_port_465_is_implicit_tls_in_every_format():
    profile = make_profile(security="ssl", port=465)
    values = {fmt: expected(render(fmt, profile, Secret("pw"))) for fmt in FORMATS}
    assert urlsplit(values["env"]["SMTP_URL"]).scheme == "smtps"
    assert urlsplit(values["symfony"]["MAILER_DSN"]).scheme == "smtps"
    assert urlsplit(values["symfony"]["MAILER_DSN"]).query == ""
    assert values["spring"]["SPRING_MAIL_PROTOCOL"] == "smtps"
    assert values["nodemailer"]["SMTP_SECURE"] == "true"
    assert values["nodemailer"]["SMTP_REQUIRE_TLS"] == "false"
    assert values["laravel"]["MAIL_SCHEME"] == "smtps"
    assert (values["rails"]["SMTP_TLS"], values["rails"]["SMTP_ENABLE_STARTTLS"]) == (
        "true",
        "false",
    )


def test_port_587_is_required_starttls_in_every_format():
    values = {fmt: expected(render(fmt, make_profile(), Secret("pw"))) for fmt in FORMATS}
    assert urlsplit(values["env"]["SMTP_URL"]).scheme == "smtp"
    dsn = urlsplit(values["symfony"]["MAILER_DSN"])
    assert (dsn.scheme, dsn.query) == ("smtp", "require_tls=true")
    assert values["spring"]["SPRING_MAIL_PROTOCOL"] == "smtp"
    assert values["spring"]["SPRING_MAIL_PROPERTIES_MAIL_SMTP_STARTTLS_REQUIRED"] == "true"
    assert values["nodemailer"]["SMTP_SECURE"] == "false"
    assert values["nodemailer"]["SMTP_REQUIRE_TLS"] == "true"
    assert values["laravel"]["MAIL_SCHEME"] == "smtp"
    assert values["rails"]["SMTP_ENABLE_STARTTLS"] == "true"
    assert values["rails"]["SMTP_TLS"] == "false"


def test_security_none_turns_starttls_off_in_symfony():
    rendered = render("symfony", make_profile(security="none", port=25), Secret("pw"))
    assert urlsplit(expected(rendered)["MAILER_DSN"]).query == "auto_tls=false"


@pytest.mark.parametrize(("fmt", "key"), [("env", "SMTP_URL"), ("symfony", "MAILER_DSN")])
def test_url_percent_encodes_user_and_password_so_they_parse_back(fmt: str, key: str):
    profile = make_profile(username="a@b.com")
    url = urlsplit(expected(render(fmt, profile, Secret("p@ss:w/rd%")))[key])
    assert unquote(url.username or "") == "a@b.com"
    assert unquote(url.password or "") == "p@ss:w/rd%"
    assert (url.hostname, url.port) == ("smtp.example.com", 587)


def test_url_puts_an_ipv6_host_in_brackets():
    profile = make_profile(host="2001:db8::25")
    url = urlsplit(expected(render("env", profile, Secret("pw")))["SMTP_URL"])
    assert (url.hostname, url.port) == ("2001:db8::25", 587)


def test_spring_variables_name_the_javamail_keys_they_bind_to():
    values = expected(render("spring", make_profile(), Secret("pw")))
    assert values["SPRING_MAIL_PROPERTIES_MAIL_SMTP_AUTH"] == "true"
    assert values["SPRING_MAIL_PROPERTIES_MAIL_SMTP_STARTTLS_ENABLE"] == "true"
    assert (
        "spring.mail.properties.mail.smtp.starttls.required="
        in render("spring", make_profile(), Secret("pw")).snippet
    )


def test_nodemailer_snippet_is_valid_javascript(tmp_path: Path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = tmp_path / "mailer.js"
    script.write_text(render("nodemailer", make_profile(), Secret("pw")).snippet)
    subprocess.run([node, "--check", str(script)], check=True, capture_output=True)


def test_laravel_keeps_the_apps_from_name_when_the_profile_has_none(tmp_path: Path):
    path = tmp_path / ".env"
    path.write_text('APP_NAME=Shop\nMAIL_FROM_NAME="${APP_NAME}"\n')
    write_dotenv(path, render("laravel", make_profile(from_name=None), Secret("pw")))
    assert 'MAIL_FROM_NAME="${APP_NAME}"\n' in path.read_text()
    assert dotenv_values(path)["MAIL_FROM_NAME"] == "Shop"


def test_unknown_format_lists_the_valid_ones():
    with pytest.raises(ExportError) as caught:
        render("yaml", make_profile(), Secret("pw"))
    assert all(fmt in str(caught.value) for fmt in FORMATS)


def test_profile_without_host_or_port_says_which_and_how_to_set_it():
    with pytest.raises(ExportError) as caught:
        render("env", make_profile(host=None, port=None), Secret("pw"))
    text = str(caught.value)
    assert "host" in text
    assert "port" in text
    assert "set it in the config file" in text.lower()


def test_default_output_is_the_apps_env_file_for_every_format():
    assert {export.default_output(fmt) for fmt in FORMATS} == {Path(".env")}


# --- merging into an existing .env ----------------------------------------------------------

EXISTING = """\
# App settings
DEBUG=true

export SMTP_HOST=old.example.com
SECRET_KEY='keep me'   # a comment
SMTP_PORT=2525
"""


def written(path: Path, fmt: str = "env", **changes: object) -> str:
    write_dotenv(path, render(fmt, make_profile(**changes), Secret("pw")))
    return path.read_bytes().decode("utf-8")


def test_merge_replaces_owned_keys_in_place_and_keeps_every_other_line(tmp_path: Path):
    path = tmp_path / ".env"
    path.write_text(EXISTING)
    assert written(path) == (
        "# App settings\n"
        "DEBUG=true\n"
        "\n"
        "export SMTP_HOST=smtp.example.com\n"
        "SECRET_KEY='keep me'   # a comment\n"
        "SMTP_PORT=587\n"
        "\n"
        "# smtp-wizard: env settings\n"
        "SMTP_USERNAME=apikey\n"
        "SMTP_PASSWORD=pw\n"
        "SMTP_SECURITY=starttls\n"
        "SMTP_FROM=noreply@example.com\n"
        "SMTP_FROM_NAME='Example App'\n"
        "SMTP_URL=smtp://apikey:pw@smtp.example.com:587\n"
    )


def test_reexport_is_idempotent_byte_for_byte(tmp_path: Path):
    path = tmp_path / ".env"
    path.write_text(EXISTING)
    first = written(path)
    assert written(path) == first


def test_reexport_into_a_new_file_is_idempotent(tmp_path: Path):
    path = tmp_path / ".env"
    first = written(path, "spring")
    assert first.startswith("# smtp-wizard: spring settings\n")
    assert written(path, "spring") == first


def test_reexport_appends_a_missing_key_without_a_second_header(tmp_path: Path):
    path = tmp_path / ".env"
    written(path, from_name=None)
    text = written(path)
    assert text.count("# smtp-wizard: env settings") == 1
    assert text.endswith("SMTP_FROM_NAME='Example App'\n")


def test_duplicate_owned_key_keeps_the_first_place_and_drops_later_copies(tmp_path: Path):
    path = tmp_path / ".env"
    path.write_text("SMTP_HOST=a\nOTHER=1\nSMTP_HOST=b\nOTHER=2\n")
    text = written(path)
    assert text.startswith("SMTP_HOST=smtp.example.com\nOTHER=1\nOTHER=2\n")
    assert text.count("SMTP_HOST=") == 1


def test_crlf_file_stays_crlf(tmp_path: Path):
    path = tmp_path / ".env"
    path.write_bytes(b"# windows\r\nSMTP_HOST=old\r\nOTHER=1\r\n")
    text = written(path)
    assert text.startswith("# windows\r\nSMTP_HOST=smtp.example.com\r\nOTHER=1\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert parse_file(path)["SMTP_PORT"] == "587"


def test_missing_final_newline_stays_missing(tmp_path: Path):
    path = tmp_path / ".env"
    path.write_text("OTHER=1\nSMTP_HOST=old")
    assert written(path).endswith("SMTP_URL=smtp://apikey:pw@smtp.example.com:587")
    path.write_text("OTHER=1")
    text = written(path)
    assert text.startswith("OTHER=1\n\n# smtp-wizard: env settings\n")
    assert not text.endswith("\n")
    assert written(path) == text


def test_multiline_value_of_another_key_is_not_broken(tmp_path: Path, trap_env: None):
    path = tmp_path / ".env"
    original = (
        'CERT="-----BEGIN-----\n'
        "SMTP_HOST=this-is-inside-a-value\n"
        'with an escaped \\" quote\n'
        '-----END-----"\n'
        "NOTE='single\n"
        "SMTP_PORT=also-inside'\n"
        "SMTP_HOST=old\n"
    )
    path.write_text(original)
    text = written(path)
    assert text.startswith(original.replace("SMTP_HOST=old\n", "SMTP_HOST=smtp.example.com\n"))
    python_values, compose_values = read_both(path)
    assert python_values == compose_values
    assert "SMTP_HOST=this-is-inside-a-value" in compose_values["CERT"]
    assert compose_values["SMTP_PORT"] == "587"


def test_export_prefix_is_kept_and_counts_as_the_key(tmp_path: Path):
    path = tmp_path / ".env"
    path.write_text("  export SMTP_PASSWORD='old'\n")
    text = written(path)
    assert text.startswith("  export SMTP_PASSWORD=pw\n")
    assert text.count("SMTP_PASSWORD") == 1


def test_byte_order_mark_is_kept_and_does_not_hide_the_first_key(tmp_path: Path):
    path = tmp_path / ".env"
    path.write_bytes("\ufeffSMTP_HOST=old\n".encode())
    text = written(path)
    assert text.startswith("\ufeffSMTP_HOST=smtp.example.com\n")
    assert text.count("SMTP_HOST") == 1


def test_file_ends_mode_0600_even_if_it_was_0644(tmp_path: Path):
    path = tmp_path / ".env"
    path.write_text("OTHER=1\n")
    path.chmod(0o644)
    written(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_new_file_is_created_mode_0600(tmp_path: Path):
    path = tmp_path / ".env"
    written(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_output_inside_a_regular_file_gives_an_error(tmp_path: Path):
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("just a file\n")
    with pytest.raises(ExportError) as caught:
        written(not_a_folder / ".env")
    assert "Cannot" in str(caught.value)
    assert not_a_folder.read_text() == "just a file\n"


def test_failure_at_the_final_rename_leaves_the_old_file_and_no_partial_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / ".env"
    path.write_text("OTHER=1\n")
    path.chmod(0o644)

    def refuse(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ExportError) as caught:
        written(path)
    assert "No space left" in str(caught.value)
    assert path.read_text() == "OTHER=1\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert leftovers(tmp_path) == []


def test_file_that_is_not_utf8_is_not_rewritten(tmp_path: Path):
    path = tmp_path / ".env"
    path.write_bytes(b"NAME=caf\xe9\n")
    with pytest.raises(ExportError) as caught:
        written(path)
    assert "UTF-8" in str(caught.value)
    assert path.read_bytes() == b"NAME=caf\xe9\n"
