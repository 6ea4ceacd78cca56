"""Start: the address the app sends from, and the provider (suggested from its DNS)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from rich.text import Text
from textual import on, work
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from smtp_wizard import providers
from smtp_wizard.tui.steps.base import Field, Note, StepPane
from smtp_wizard.tui.validators import email_rule

SECURITY_WORDS = {"starttls": "STARTTLS", "ssl": "SSL/TLS", "none": "no encryption"}
DEBOUNCE = 0.4
"""Seconds of no typing before the domain is looked up (each key cancels the last wait)."""


def provider_detail(provider: providers.Provider) -> Text:
    """What a preset says about itself: hosts, ports, credentials, notes, documentation."""
    text = Text()
    text.append(provider.name, style="bold")
    text.append("\n")
    if provider.id == providers.CUSTOM_ID:
        text.append("Any SMTP server: type its host on the next step; discovery finds the ports.\n")
        return text
    host = provider.default_host
    if host is not None:
        others = len(provider.hosts) - 1
        text.append("Host: ", style="bold")
        text.append(host.host + (f" (+{others} regions)" if others > 0 else "") + "\n")
    if provider.ports:
        ports = ", ".join(
            f"{p.port} {SECURITY_WORDS.get(p.security, p.security)}" for p in provider.ports
        )
        text.append("Ports: ", style="bold")
        text.append(ports + "\n")
    text.append("Username: ", style="bold")
    text.append(provider.username_hint + "\n")
    text.append("Password: ", style="bold")
    text.append(provider.password_hint + "\n")
    for note in provider.notes:
        text.append("• ")
        text.append(note + "\n")
    if provider.docs and provider.docs != providers.UNKNOWN:
        text.append("Docs: ", style="bold")
        linked = provider.docs.startswith("https://")
        text.append(provider.docs, style=f"link {provider.docs}" if linked else "")
        text.append("\n")
    return text


class StartPane(StepPane):
    STEP = "start"
    BUTTONS = (("Look up", "lookup"),)

    def __init__(self) -> None:
        super().__init__()
        self.suggested: dict[str, str] = {}
        """Preset id -> why it is suggested (`SPF includes sendgrid.net`)."""
        self.looked_up: str | None = None
        self._focus_list = False

    @cached_property
    def presets(self) -> dict[str, providers.Provider]:
        return providers.load_providers()

    def body(self) -> Iterable[Widget]:
        world = self.wizard.world
        if world is not None:
            panel = Static(self.demo_text(world), id="demo-panel", markup=False)
            panel.border_title = "Demo: all on 127.0.0.1, for this run only"
            yield panel
        yield Note("What address will your app send from?", classes="intro")
        yield Field(
            "From",
            Input(
                placeholder="noreply@example.com",
                id="start-from",
                validators=[email_rule("The from address")],
                compact=True,
            ),
        )
        yield Note(id="start-from-message", classes="message")
        yield Note(id="start-suggestion")
        # The presets follow a frame later (`fill`): they are most of what this screen
        # draws, and the question above them is what the first frame is for.

    @staticmethod
    def demo_text(world: Any) -> Text:
        text = Text()
        for name, value in (
            ("Server", f"{world.host}, ports {world.starttls_port} and {world.ssl_port}"),
            ("Login", f"{world.username} / {world.password}"),
            ("DNS", f"{world.domain}, with the usual mistakes to fix"),
            ("Files", str(world.folder)),
        ):
            text.append(f"{name:<7}", style="bold")
            text.append(value + "\n")
        text.rstrip()
        return text

    def _options(self) -> list[Option]:
        chosen = self.wizard.draft.get("provider")
        options = []
        for provider in self.presets.values():
            options.append(Option(self._prompt(provider, chosen), id=provider.id))
        return options

    def _prompt(self, provider: providers.Provider, chosen: str | None) -> Text:
        mark = "•" if provider.id == chosen else " "
        star = "★" if provider.id in self.suggested else " "
        if provider.id == providers.CUSTOM_ID:
            name = "Custom (any server)"
        else:
            name = provider.name.split(" (")[0]  # the detail beside the list says the rest
        return Text(f"{mark}{star}{name}")

    def reload(self) -> None:
        draft = self.wizard.draft
        field = self.query_one("#start-from", Input)
        self.set_input(field, draft.get("from_address") or "")
        if self.completed:
            self._refresh_options()
            self._highlight_chosen()
        if field.value and self.looked_up is None:
            self.lookup(field.value, wait=0)

    async def fill(self) -> None:
        await self.query_one(".body").mount_all(
            [
                Note("Provider: ↑↓ browse, Enter to choose", id="start-provider-heading"),
                Horizontal(
                    OptionList(*self._options(), id="provider-list"),
                    VerticalScroll(
                        Static("", id="provider-detail", markup=False),
                        id="provider-detail-box",
                    ),
                    id="start-providers",
                ),
            ]
        )
        self._highlight_chosen()
        if self._focus_list and self.wizard.current == self.STEP:
            self.query_one("#provider-list", OptionList).focus()
        self._focus_list = False

    def _highlight_chosen(self) -> None:
        chosen = self.wizard.draft.get("provider")
        listing = self.query_one("#provider-list", OptionList)
        if chosen in self.presets:
            listing.highlighted = listing.get_option_index(chosen)
        elif listing.option_count:
            listing.highlighted = 0

    def _refresh_options(self) -> None:
        if not self.completed:
            return  # `fill` lists them as they are then
        chosen = self.wizard.draft.get("provider")
        listing = self.query_one("#provider-list", OptionList)
        for provider in self.presets.values():
            listing.replace_option_prompt(provider.id, self._prompt(provider, chosen))

    def draft_changed(self, keys: set[str]) -> None:
        if "from_address" in keys:
            field = self.query_one("#start-from", Input)
            self.set_input(field, self.wizard.draft.get("from_address") or "")
        if "provider" in keys:
            self._refresh_options()

    def entered(self) -> None:
        field = self.query_one("#start-from", Input)
        if not field.value:
            field.focus()
        elif self.completed:
            self.query_one("#provider-list", OptionList).focus()
        else:  # the first frame: the list is mounted next (`fill` focuses it)
            self._focus_list = True

    # -- the from address -------------------------------------------------------------------

    @on(Input.Changed, "#start-from")
    def from_changed(self, event: Input.Changed) -> None:
        if not self.taken(event.input):
            self.take(event.input)

    def take(self, field: Input, wait: float = DEBOUNCE) -> None:
        message = self.query_one("#start-from-message", Note)
        if self.edit("from_address", field, message) and field.value.strip():
            self.lookup(field.value, wait)
        else:
            self.workers.cancel_group(self, "suggest")

    @on(Input.Submitted, "#start-from")
    def from_submitted(self, event: Input.Submitted) -> None:
        if self.completed:
            self.query_one("#provider-list", OptionList).focus()

    def action_lookup(self) -> None:
        field = self.query_one("#start-from", Input)
        if not self.taken(field):
            self.take(field, wait=0)
        else:
            self.lookup(field.value, wait=0)

    def lookup(self, address: str, wait: float = DEBOUNCE) -> None:
        domain = address.strip().rpartition("@")[2]
        if not domain:
            self.query_one("#start-suggestion", Note).say(
                "Type the from address first: its domain is what is looked up."
            )
            return
        self.suggest(domain, wait)

    @work(exclusive=True, group="suggest", exit_on_error=False, description="Provider lookup")
    async def suggest(self, domain: str, wait: float) -> None:
        line = self.query_one("#start-suggestion", Note)
        await asyncio.sleep(wait)
        line.say(f"Looking up {domain} (MX, SPF)…")
        await self.wizard.checks_loaded()
        found = await self.wizard.core.suggest(domain)
        self.looked_up = domain
        self.suggested = {s.provider.id: s.reason for s in found if s.provider.id in self.presets}
        self._refresh_options()
        if not self.suggested:
            problem = getattr(found, "reason", "")
            if problem:
                text = f"No suggestion: {problem}."
            else:
                text = f"{domain}: no known provider in its DNS yet."
            chosen = self.presets.get(self.wizard.draft.get("provider") or "")
            if chosen is not None:
                text += f" Chosen: {chosen.name}."
            else:
                text += " Pick one below, or Custom for any server."
            line.say(text)
            self._keep_highlight_visible()
            return
        best = next(s for s in found if s.provider.id in self.presets)
        text = Text(f"{domain} already uses ")
        text.append(best.provider.name, style="bold")
        text.append(f" ({best.reason}).")
        others = [self.presets[pid].name for pid in self.suggested if pid != best.provider.id]
        if others:
            text.append(f" Also seen: {', '.join(others)}.")
        listing = self.query_one("#provider-list", OptionList)
        listing.highlighted = listing.get_option_index(best.provider.id)
        draft = self.wizard.draft
        if not draft.get("provider") and not draft.get("host"):
            self.choose(best.provider.id)
            text.append(" Chosen below; pick another any time.")
        else:
            text.append(" ★ marks it below.")
        line.say(text)
        self._keep_highlight_visible()

    def _keep_highlight_visible(self) -> None:
        """The line above the list grew: the list shrank; scroll its choice back in view."""
        listing = self.query_one("#provider-list", OptionList)
        self.call_after_refresh(listing.scroll_to_highlight)

    # -- the provider -----------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#provider-list")
    def provider_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        provider = self.presets.get(event.option.id or "")
        if provider is None:
            return
        detail = provider_detail(provider)
        reason = self.suggested.get(provider.id)
        if reason:
            detail = Text.assemble(("★ suggested: ", "bold"), reason, "\n", detail)
        self.query_one("#provider-detail", Static).update(detail)

    @on(OptionList.OptionSelected, "#provider-list")
    def provider_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.choose(event.option.id)

    def choose(self, provider_id: str) -> None:
        problem = self.wizard.edit("provider", provider_id)
        if problem:
            self.query_one("#start-suggestion", Note).say(problem)
            return
        self._refresh_options()
        name = self.presets[provider_id].name
        self.wizard.notify(f"Provider: {name}.", markup=False, timeout=3)


__all__ = ["StartPane", "provider_detail"]
