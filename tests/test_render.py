"""How results read in a terminal: rows in a fixed order, wrapped whole, coloured, advice once.

The pure pieces; `test_live_output.py` drives the same code into a real pty and pipe.
"""

from __future__ import annotations

import asyncio
import io
import os
import pty
import re
from collections.abc import AsyncIterator

import pytest

from smtp_wizard.checks.model import CheckResult, Report, Status
from smtp_wizard.checks.smtp import _SSL_ORDER, CHECK_IDS
from smtp_wizard.render import (
    Board,
    Style,
    advice_block,
    check_plan,
    domain_plan,
    glue_commands,
    result_line,
    result_lines,
    show_report,
    show_results,
    summary_line,
    wrap,
)

SGR = re.compile(r"\x1b\[[0-9;]*m")


def test_each_status_has_its_mark() -> None:
    marks = {s: result_line(CheckResult("smtp.tls", s, "x"))[0] for s in Status}
    assert marks == {Status.PASS: "✓", Status.WARN: "!", Status.FAIL: "✗", Status.SKIP: "–"}


def test_a_dkim_line_names_its_selector_once() -> None:
    named = CheckResult("dns.dkim", Status.PASS, "key found", subject="s1._domainkey.example.com")
    assert result_line(named).endswith("key found [s1._domainkey.example.com]")
    already = CheckResult(
        "dns.dkim",
        Status.FAIL,
        "no key at s1._domainkey.example.com",
        subject="s1._domainkey.example.com",
    )
    assert result_line(already).count("s1._domainkey") == 1


# -- plans and order ----------------------------------------------------------------------


def test_the_check_plan_follows_the_conversation_then_the_domain() -> None:
    plan = check_plan("starttls", send=True, selectors=["s1", "s2", "s1"])
    assert plan == [*CHECK_IDS, "dns.mx", "dns.spf", "dns.dkim", "dns.dkim", "dns.dmarc"]
    ssl = check_plan("ssl", send=True)
    assert ssl[: len(_SSL_ORDER)] == list(_SSL_ORDER)
    assert ssl.index("smtp.tls") < ssl.index("smtp.greeting")


def test_a_step_not_asked_for_has_no_row() -> None:
    assert "smtp.send" not in check_plan("starttls", send=False)
    assert check_plan("starttls", send=False, domain=False)[-1] == "smtp.auth"
    assert check_plan(None, send=False) == domain_plan()
    assert domain_plan(["a"], ip=True) == [
        "dns.mx",
        "dns.spf",
        "dns.dkim",
        "dns.dmarc",
        "dns.spf.ip",
    ]


def test_results_fill_the_plan_in_its_order_whatever_order_they_arrive_in() -> None:
    plan = check_plan("starttls", send=False, selectors=["s1"])
    board = Board(plan)
    for check_id in reversed(plan):
        board.place(CheckResult(check_id, Status.PASS, ""))
    assert [r.id for r in board.results()] == plan


def test_extra_results_go_after_their_kind_or_at_the_end_of_their_group() -> None:
    board = Board(["dns.host", "smtp.connect", "dns.mx", "dns.spf", "dns.dkim", "dns.dmarc"])
    for item in [
        CheckResult("dns.dkim", Status.PASS, "", subject="a"),
        CheckResult("dns.dkim", Status.PASS, "", subject="b"),
        CheckResult("dns.spf.ip", Status.PASS, ""),
        CheckResult("tls.version", Status.PASS, ""),
        CheckResult("delivery.folder", Status.PASS, ""),
    ]:
        board.place(item)
    assert [row.id for row in board.rows] == [
        "dns.host",
        "smtp.connect",
        "tls.version",
        "dns.mx",
        "dns.spf",
        "dns.dkim",
        "dns.dkim",
        "dns.dmarc",
        "dns.spf.ip",
        "delivery.folder",
    ]


def test_a_skip_not_asked_for_is_dropped_but_a_skip_for_a_failed_step_is_shown() -> None:
    board = Board(check_plan("starttls", send=False, domain=False))
    assert board.place(CheckResult("smtp.send", Status.SKIP, "no --send-to")) is None
    assert board.place(CheckResult("smtp.auth", Status.SKIP, "TLS failed")) is not None
    assert [r.id for r in board.results()] == ["smtp.auth"]


def test_nothing_is_inserted_above_a_line_already_written() -> None:
    board = Board(["dns.dkim", "dns.dmarc"])
    board.place(CheckResult("dns.dkim", Status.PASS, ""))
    board.place(CheckResult("dns.dmarc", Status.PASS, ""))
    board.frozen = 2
    assert board.place(CheckResult("dns.dkim", Status.PASS, "late")) == 2


def test_rows_that_never_got_a_result_are_not_shown() -> None:
    async def only_one() -> AsyncIterator[CheckResult]:
        yield CheckResult("smtp.connect", Status.PASS, "ok")

    out = io.StringIO()
    report = asyncio.run(show_results(only_one(), ["dns.host", "smtp.connect"], out, Style()))
    assert out.getvalue() == "✓ smtp.connect         ok\n"
    assert [r.id for r in report.checks] == ["smtp.connect"]


# -- wrapping ---------------------------------------------------------------------------

COMMAND = "`smtp-wizard config set-password --profile staging`"


@pytest.mark.parametrize("width", range(40, 101, 3))
def test_wrapping_never_splits_a_command(width: int) -> None:
    text = f"The keyring holds no password for this profile: store one with {COMMAND} and retry."
    lines = wrap(text, width, "    → ", "      ")
    assert sum(COMMAND in line for line in lines) == 1
    assert " ".join(line.strip() for line in lines).replace("→ ", "") == text
    assert all(len(line) <= width for line in lines if COMMAND not in line)


def test_commands_without_backticks_and_flag_placeholders_stay_whole() -> None:
    glued = glue_commands(
        "Run smtp-wizard dns example.com --ip ADDR again, or pass --dkim-selector SEL; "
        "smtp-wizard will not continue."
    )
    assert "smtp-wizard\xa0dns\xa0example.com\xa0--ip\xa0ADDR again," in glued
    assert "--dkim-selector\xa0SEL;" in glued
    assert "smtp-wizard will not" in glued  # prose, not a command


def test_a_row_wraps_under_the_summary_column_and_keeps_addresses_whole() -> None:
    summary = "Reports go to an address like dmarc-reports@a-long-domain.example today " * 3
    lines = result_lines(CheckResult("dns.dmarc", Status.WARN, summary.strip()), Style(width=70))
    assert len(lines) > 1
    assert all(line.startswith(" " * 23) and line[23] != " " for line in lines[1:])
    assert all(len(line) <= 70 for line in lines)
    assert not any(line.endswith("dmarc-") for line in lines)


def test_a_record_to_publish_stays_on_one_line() -> None:
    record = "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com"
    spf = "v=spf1 a mx include:_spf.example.com ip4:192.0.2.0/24 -all"
    text = f"Publish a TXT record at _dmarc.example.com: {record} — or the SPF {spf}. Then wait."
    lines = wrap(text, 50, "    → ", "      ")
    assert any(record in line for line in lines) and any(spf in line for line in lines)


# -- colour -----------------------------------------------------------------------------


def test_colour_follows_the_status_and_only_when_the_style_has_it() -> None:
    results = [CheckResult("a", s, "text") for s in Status]
    plain = [result_lines(r, Style(color=False))[0] for r in results]
    assert not any(SGR.search(line) for line in plain)
    coloured = [result_lines(r, Style(color=True))[0] for r in results]
    assert coloured[0].startswith("\x1b[32m✓\x1b[0m")  # pass green
    assert coloured[1].startswith("\x1b[33m!\x1b[0m")  # warn yellow
    assert coloured[2].startswith("\x1b[31m✗\x1b[0m")  # fail red
    assert coloured[3].startswith("\x1b[2m–") and coloured[3].endswith("\x1b[0m")  # skip dim


def test_style_detection_for_a_pipe() -> None:
    pipe = io.StringIO()
    assert Style.detect(pipe, env={}) == Style(tty=False, color=False, width=100, height=24)
    assert Style.detect(pipe, env={"COLUMNS": "72"}).width == 72
    assert Style.detect(pipe, "always", env={"NO_COLOR": "1"}).color
    assert not Style.detect(pipe, "never", env={}).color
    with pytest.raises(ValueError, match="never, auto, always"):
        Style.detect(pipe, "sometimes", env={})


def test_style_detection_on_a_terminal_respects_no_color_and_dumb_terminals() -> None:
    master, slave = pty.openpty()
    try:
        with open(slave, "w", closefd=False) as terminal:
            assert Style.detect(terminal, env={"TERM": "xterm"}).color
            assert Style.detect(terminal, env={"TERM": "xterm"}).tty
            assert not Style.detect(terminal, env={"TERM": "xterm", "NO_COLOR": "1"}).color
            assert Style.detect(terminal, env={"TERM": "xterm", "NO_COLOR": ""}).color
            assert Style.detect(terminal, "always", env={"NO_COLOR": "1"}).color
            dumb = Style.detect(terminal, env={"TERM": "dumb"})
            assert not dumb.tty and not dumb.color
            assert not Style.detect(terminal, "never", env={"TERM": "xterm"}).color
    finally:
        os.close(master)
        os.close(slave)


# -- after the rows ----------------------------------------------------------------------


def test_advice_lists_failures_and_warnings_only() -> None:
    results = [
        CheckResult("smtp.auth", Status.FAIL, "rejected", "535 5.7.8 bad", "Check the key."),
        CheckResult("dns.dmarc", Status.WARN, "p=none", "", "Move to quarantine."),
        CheckResult("smtp.tls", Status.PASS, "ok", "", "never shown"),
    ]
    text = advice_block(results)
    assert "✗ smtp.auth\n    535 5.7.8 bad\n    → Check the key." in text
    assert "! dns.dmarc\n    → Move to quarantine." in text
    assert "never shown" not in text
    assert "rejected" not in text  # the row above said it
    assert "✗ smtp.auth: rejected" in advice_block(results, rows_shown=False)


def test_the_same_advice_for_several_selectors_is_given_once() -> None:
    advice = "SendGrid: Settings > Sender Authentication > Authenticate your domain."
    results = [
        CheckResult("dns.dkim", Status.FAIL, "no key", f"{s} NXDOMAIN", advice, subject=s)
        for s in ("a._domainkey.x", "b._domainkey.x")
    ]
    text = advice_block(results)
    assert text.count("Sender Authentication") == 1
    assert "[a._domainkey.x]" in text and "[b._domainkey.x]" in text
    assert "\n\n" not in text  # one block
    assert text.index("b._domainkey.x NXDOMAIN") < text.index("→ SendGrid")


def test_a_paragraph_already_said_points_back_instead_of_repeating() -> None:
    shared = "Add the records listed below."
    results = [
        CheckResult("dns.spf", Status.FAIL, "no SPF", "", f"Publish SPF.\n{shared}"),
        CheckResult("dns.mx", Status.WARN, "no MX", "", "Publish an MX."),
        CheckResult("dns.dmarc", Status.FAIL, "no DMARC", "", shared),
    ]
    text = advice_block(results)
    assert text.count(shared) == 1
    assert "! dns.mx\n    → Publish an MX." in text
    assert text.endswith("✗ dns.dmarc\n    → See also dns.spf above.")


def test_detail_that_repeats_the_summary_is_left_out_and_a_bare_block_dropped() -> None:
    results = [
        CheckResult("dns.mx", Status.WARN, "x.test has no MX record", "x.test has no MX record"),
        CheckResult(
            "dns.spf", Status.FAIL, "+all is open", "record: v=spf1 +all\nproblem: +all is open"
        ),
    ]
    assert advice_block(results) == "✗ dns.spf\n    record: v=spf1 +all"


def test_the_summary_counts_each_status() -> None:
    report = Report(
        [
            CheckResult("a", Status.PASS, ""),
            CheckResult("b", Status.WARN, ""),
            CheckResult("c", Status.FAIL, ""),
            CheckResult("d", Status.SKIP, ""),
        ],
        elapsed_ms=12,
    )
    assert summary_line(report) == "1 failed, 1 warning, 1 passed, 1 skipped (12 ms)"
    coloured = summary_line(report, Style(color=True))
    assert SGR.sub("", coloured) == summary_line(report)
    assert "\x1b[31m1 failed\x1b[0m" in coloured


def test_the_summary_does_not_count_skips_that_were_not_shown() -> None:
    async def run() -> AsyncIterator[CheckResult]:
        yield CheckResult("smtp.auth", Status.PASS, "ok")
        yield CheckResult("smtp.send", Status.SKIP, "no --send-to")

    plan = ["smtp.auth"]
    report = asyncio.run(show_results(run(), plan, io.StringIO(), Style()))
    assert summary_line(Report(report.checks, 5)) == "0 failed, 0 warnings, 1 passed (5 ms)"


def test_show_report_prints_rows_then_advice_then_the_summary() -> None:
    async def run() -> AsyncIterator[CheckResult]:
        yield CheckResult("dns.spf", Status.FAIL, "no SPF", "", "Publish SPF.")
        yield CheckResult("dns.mx", Status.PASS, "MX ok")

    out = io.StringIO()
    report = asyncio.run(show_report(run(), ["dns.mx", "dns.spf"], out, Style()))
    assert re.fullmatch(
        r"✓ dns.mx +MX ok\n✗ dns.spf +no SPF\n\n✗ dns.spf\n    → Publish SPF.\n\n"
        r"1 failed, 0 warnings, 1 passed \(\d+ ms\)\n",
        out.getvalue(),
    )
    assert report.exit_code == 1
    quiet = io.StringIO()
    asyncio.run(show_report(run(), ["dns.mx", "dns.spf"], quiet, Style(), summary=False))
    assert "passed" not in quiet.getvalue()


def test_a_hint_in_two_details_and_an_advice_is_given_once() -> None:
    env = 'Or keep the password out of the keyring: write password = { env = "SMTP_PASSWORD" }.'
    results = [
        CheckResult("smtp.auth", Status.FAIL, "No password", f"No OS keyring.\n{env}", env),
        CheckResult("delivery.received", Status.FAIL, "No IMAP password", f"No keyring.\n{env}"),
    ]
    text = advice_block(results)
    assert text.count("SMTP_PASSWORD") == 1
    assert "No keyring." in text
