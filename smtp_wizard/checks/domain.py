"""The domain's checks together: MX, SPF, DKIM (one per selector), DMARC, and SPF for an IP.

Each check gets a resolver of its own, so each has its own deadline (`--timeout` bounds a
whole DNS check, not the sum of them), and all run at the same time; results are handed
over as each finishes. `check` merges this stream with the SMTP checks'.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from smtp_wizard.checks.dkim import dkim_checks
from smtp_wizard.checks.dmarc import dmarc_check
from smtp_wizard.checks.dns import Resolver, make_resolver
from smtp_wizard.checks.model import CheckResult, merge, skipped
from smtp_wizard.checks.mx import mx_check
from smtp_wizard.checks.spf import evaluate_for_ip, spf_check
from smtp_wizard.providers import Provider

DOMAIN_CHECK_IDS = ("dns.mx", "dns.spf", "dns.dkim", "dns.dmarc")


async def _one(work: Awaitable[CheckResult | list[CheckResult]]) -> AsyncIterator[CheckResult]:
    outcome = await work
    for result in outcome if isinstance(outcome, list) else [outcome]:
        yield result


def domain_checks(
    domain: str | None,
    *,
    nameservers: Sequence[str] = (),
    timeout: float = 10.0,
    provider: Provider | None = None,
    selectors: Sequence[str] = (),
    ip: str | None = None,
    resolver_factory: Callable[[], Resolver] | None = None,
) -> AsyncIterator[CheckResult]:
    """dns.mx, dns.spf, dns.dkim (per selector), dns.dmarc [, dns.spf.ip], concurrently."""
    if not domain:
        return _skipped_all(
            "no sending domain: pass --domain, or set from_address or domain in the profile"
        )

    def resolver() -> Resolver:
        if resolver_factory is not None:
            return resolver_factory()
        return make_resolver(nameservers, timeout=timeout)

    works: list[Awaitable[CheckResult | list[CheckResult]]] = [
        mx_check(domain, resolver()),
        spf_check(domain, resolver(), provider, timeout=timeout),
        dkim_checks(domain, selectors, resolver(), provider, timeout=timeout),
        dmarc_check(domain, resolver(), timeout=timeout),
    ]
    if ip:
        works.append(evaluate_for_ip(domain, ip, resolver(), timeout=timeout))
    return merge(_one(work) for work in works)


async def _skipped_all(reason: str) -> AsyncIterator[CheckResult]:
    for check_id in DOMAIN_CHECK_IDS:
        yield skipped(check_id, reason)
