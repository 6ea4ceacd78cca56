"""How results read in a terminal: one line per check, then what to do."""

from __future__ import annotations

from smtp_wizard.checks.model import CheckResult, Report, Status
from smtp_wizard.render import advice_block, result_line, summary_line


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


def test_advice_lists_failures_and_warnings_only() -> None:
    results = [
        CheckResult("smtp.auth", Status.FAIL, "rejected", "535 5.7.8 bad", "Check the key."),
        CheckResult("dns.dmarc", Status.WARN, "p=none", "", "Move to quarantine."),
        CheckResult("smtp.tls", Status.PASS, "ok", "", "never shown"),
    ]
    text = advice_block(results)
    assert "✗ smtp.auth: rejected" in text and "→ Check the key." in text
    assert "! dns.dmarc: p=none" in text
    assert "never shown" not in text


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
