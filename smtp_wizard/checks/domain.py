"""The domain's checks together: MX, SPF, DKIM (one per selector), DMARC, and SPF for an IP.

Each check gets a resolver of its own, so each has its own deadline (`--timeout` bounds a
whole DNS check, not the sum of them), and all run at the same time; results are handed
over as each finishes. `check` merges this stream with the SMTP checks'.

`smtp-wizard dns` also shows the records to publish. `DomainReport` builds that plan from
what the checks found (the SPF audit with its include tree and lookup counts, the DMARC
record and where it was found, the DKIM answers), so every name is asked once; only a
provider's DKIM selector that no check looked at is asked for the plan.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from smtp_wizard.checks.dkim import dkim_checks_with_answers, dkim_name
from smtp_wizard.checks.dmarc import DmarcDiscovery, dmarc_check_with_discovery
from smtp_wizard.checks.dns import Resolver, make_resolver
from smtp_wizard.checks.dnsapi import DnsError, DnsLookup, MxRecord, SrvRecord, TxtAnswer
from smtp_wizard.checks.model import CheckResult, merge, skipped
from smtp_wizard.checks.mx import mx_check
from smtp_wizard.checks.spf import SpfReport, evaluate_for_ip, spf_check_with_report
from smtp_wizard.providers import Provider
from smtp_wizard.records import RecordPlan, own_dmarc_record, plan_records, published_from

DOMAIN_CHECK_IDS = ("dns.mx", "dns.spf", "dns.dkim", "dns.dmarc")


class _SharedAnswers:
    """The answers of one run, by (type, name): a name two checks need is asked once.

    dns.mx and the SPF audit's `mx` both want the domain's MX; dns.spf.ip's check_host asks
    what the audit asked. The first check to ask sends the query through its own resolver
    (so its deadline applies); the others wait for that same answer or error.
    """

    def __init__(self) -> None:
        self.tasks: dict[tuple[str, str], asyncio.Task[Any]] = {}

    async def ask(self, rtype: str, name: str, query: Callable[[str], Awaitable[Any]]) -> Any:
        key = (rtype, name.strip().rstrip(".").lower())
        task = self.tasks.get(key)
        if task is None:
            task = self.tasks[key] = asyncio.ensure_future(query(name))
        return await asyncio.shield(task)

    def close(self, *, cancel: bool = True) -> None:
        """Cancel what is still running (unless `cancel` is false) and mark every error
        as seen: an answer whose asker gave up (its deadline) is logged by no one."""
        for task in self.tasks.values():
            if not task.done():
                if cancel:
                    task.cancel()
                else:
                    task.add_done_callback(_seen)
            elif not task.cancelled():
                task.exception()


def _seen(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


class _SharedLookup:
    """A check's own resolver, answering from the run's shared answers (`DnsLookup`)."""

    def __init__(self, resolver: Resolver, shared: _SharedAnswers) -> None:
        self.resolver = resolver
        self.shared = shared

    async def txt(self, name: str) -> TxtAnswer:
        return await self.shared.ask("TXT", name, self.resolver.txt)

    async def a(self, name: str) -> list[str]:
        return list(await self.shared.ask("A", name, self.resolver.a))

    async def aaaa(self, name: str) -> list[str]:
        return list(await self.shared.ask("AAAA", name, self.resolver.aaaa))

    async def mx(self, name: str) -> list[MxRecord]:
        return list(await self.shared.ask("MX", name, self.resolver.mx))

    async def ptr(self, address: str) -> list[str]:
        return list(await self.shared.ask("PTR", address, self.resolver.ptr))

    async def srv(self, name: str) -> list[SrvRecord]:
        return list(await self.shared.ask("SRV", name, self.resolver.srv))


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
    report = DomainReport(
        domain,
        nameservers=nameservers,
        timeout=timeout,
        provider=provider,
        selectors=selectors,
        ip=ip,
        resolver_factory=resolver_factory,
    )
    return report.results()


class DomainReport:
    """The domain checks of one run, and the records plan built from what they found.

    Consume `results()` (once) and await `plan()` at the same time; `plan()` waits for the
    SPF, DKIM and DMARC checks, never asks what they asked, and gives None when the SPF
    audit could not finish (its deadline passed) or there is no domain.
    """

    def __init__(
        self,
        domain: str | None,
        *,
        nameservers: Sequence[str] = (),
        timeout: float = 10.0,
        provider: Provider | None = None,
        selectors: Sequence[str] = (),
        ip: str | None = None,
        resolver_factory: Callable[[], Resolver] | None = None,
    ) -> None:
        self.domain = domain
        self.nameservers = tuple(nameservers)
        self.timeout = timeout
        self.provider = provider
        self.selectors = tuple(selectors)
        self.ip = ip
        self._resolver_factory = resolver_factory
        self.resolvers: list[Resolver] = []  # every resolver made, for counting queries
        self._found: dict[str, asyncio.Future[Any]] = {}
        self._shared = _SharedAnswers()

    def _resolver(self) -> DnsLookup:
        """A resolver of its own for one check (its own deadline), sharing the answers."""
        made = (
            self._resolver_factory()
            if self._resolver_factory is not None
            else make_resolver(self.nameservers, timeout=self.timeout)
        )
        self.resolvers.append(made)
        return _SharedLookup(made, self._shared)

    @property
    def queries(self) -> int:
        """DNS queries sent so far by every resolver of this run (retries included)."""
        return sum(resolver.queries for resolver in self.resolvers)

    def _future(self, key: str) -> asyncio.Future[Any]:
        if key not in self._found:
            self._found[key] = asyncio.get_running_loop().create_future()
        return self._found[key]

    def _keep(self, key: str, value: Any) -> None:
        future = self._future(key)
        if not future.done():
            future.set_result(value)

    def results(self) -> AsyncIterator[CheckResult]:
        """dns.mx, dns.spf, dns.dkim (per selector), dns.dmarc [, dns.spf.ip], concurrently."""
        domain = self.domain
        for key in ("spf", "dkim", "dmarc"):
            self._future(key)  # plan() may now wait for them
        if not domain:
            return _skipped_all(
                "no sending domain: pass --domain, or set from_address or domain in the profile"
            )
        works: list[Awaitable[CheckResult | list[CheckResult]]] = [
            mx_check(domain, self._resolver()),
            self._spf(domain),
            self._dkim(domain),
            self._dmarc(domain),
        ]
        if self.ip:
            works.append(evaluate_for_ip(domain, self.ip, self._resolver(), timeout=self.timeout))
        return self._kept_on_exit(merge(_one(work) for work in works))

    async def _kept_on_exit(self, stream: AsyncIterator[CheckResult]) -> AsyncIterator[CheckResult]:
        """The stream; when it ends (or is abandoned) a plan still waiting gets None."""
        try:
            async for result in stream:
                yield result
        finally:
            for key in ("spf", "dkim", "dmarc"):
                self._keep(key, None)
            self._shared.close(cancel=False)  # plan() may still be asking

    async def _spf(self, domain: str) -> CheckResult:
        result, report = await spf_check_with_report(
            domain, self._resolver(), self.provider, timeout=self.timeout
        )
        self._keep("spf", report)
        return result

    async def _dkim(self, domain: str) -> list[CheckResult]:
        found = await dkim_checks_with_answers(
            domain, self.selectors, self._resolver(), self.provider, timeout=self.timeout
        )
        self._keep("dkim", {s: answer for s, _, answer in found if s is not None})
        return [result for _, result, _ in found]

    async def _dmarc(self, domain: str) -> CheckResult:
        result, discovery = await dmarc_check_with_discovery(
            domain, self._resolver(), timeout=self.timeout
        )
        self._keep("dmarc", discovery)
        return result

    async def plan(self) -> RecordPlan | None:
        """The records to publish, from the checks' findings (see the class docstring)."""
        if not self.domain:
            return None
        if not self._found:
            raise RuntimeError("DomainReport.plan() needs results() to be consumed as well")
        spf: SpfReport | None = await self._future("spf")
        dkim: dict[str, TxtAnswer | None] | None = await self._future("dkim")
        dmarc: DmarcDiscovery | None = await self._future("dmarc")
        if spf is None:
            return None
        domain = spf.domain
        answers = dict(dkim or {})
        wanted = self.provider.dkim_selectors if self.provider else ()
        missing = [s for s in wanted if s not in answers]
        if missing:
            lookup = self._resolver()
            try:
                extra = await asyncio.gather(*(_dkim_answer(s, domain, lookup) for s in missing))
            finally:
                self._shared.close()
            answers.update(zip(missing, extra, strict=True))
        published = published_from(
            spf, own_dmarc_record(dmarc), {s: answers.get(s) for s in wanted}
        )
        return plan_records(domain, self.provider, published)


async def _dkim_answer(selector: str, domain: str, lookup: DnsLookup) -> TxtAnswer | None:
    try:
        return await lookup.txt(dkim_name(selector, domain))
    except DnsError:
        return None


def domain_report(
    domain: str | None,
    *,
    nameservers: Sequence[str] = (),
    timeout: float = 10.0,
    provider: Provider | None = None,
    selectors: Sequence[str] = (),
    ip: str | None = None,
) -> DomainReport:
    """For `smtp-wizard dns`: `.results()` streams the checks, `await .plan()` gives the
    records plan built from them (each name asked once). Create it inside the event loop;
    await the plan during or after consuming the stream."""
    return DomainReport(
        domain,
        nameservers=nameservers,
        timeout=timeout,
        provider=provider,
        selectors=selectors,
        ip=ip,
    )


async def _skipped_all(reason: str) -> AsyncIterator[CheckResult]:
    for check_id in DOMAIN_CHECK_IDS:
        yield skipped(check_id, reason)
