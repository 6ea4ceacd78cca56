"""The wizard: six steps around one draft, every check live, save and export at the end.

`WizardApp` is built by `build_app` from its collaborators (the draft being edited, the
checks' door `Core`, the demo world when there is one), so tests hand it servers and
folders of their own. The app owns the draft and the results board; the step panes edit
the draft through `edit`, run their checks in workers, and show what comes back.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import ModalScreen, Screen
from textual.widgets import ContentSwitcher, Input
from textual.worker import Worker, WorkerState

from smtp_wizard.checks.model import CheckResult, Status
from smtp_wizard.errors import WizardError
from smtp_wizard.secret import Secret
from smtp_wizard.settings import Settings
from smtp_wizard.tui.core import Core
from smtp_wizard.tui.crash import safe_report, scrub
from smtp_wizard.tui.state import GLYPHS, STEP_IDS, STEPS, WAITING, Board
from smtp_wizard.tui.steps.base import StepPane
from smtp_wizard.tui.widgets.button import ActionButton
from smtp_wizard.tui.widgets.chrome import KeyBar, StepList, TitleBar

if TYPE_CHECKING:
    from smtp_wizard.draft import Draft

PANES: dict[str, tuple[str, str]] = {
    "start": ("smtp_wizard.tui.steps.start", "StartPane"),
    "host": ("smtp_wizard.tui.steps.host", "HostPane"),
    "port": ("smtp_wizard.tui.steps.port", "PortPane"),
    "login": ("smtp_wizard.tui.steps.login", "LoginPane"),
    "sender": ("smtp_wizard.tui.steps.sender", "SenderPane"),
    "review": ("smtp_wizard.tui.steps.review", "ReviewPane"),
}
"""Each step's pane (module, class): imported when the step is first shown."""

PRESET_KEYS = ("host", "port", "security", "username")
"""The keys a preset fills; choosing a preset replaces what was typed for them."""

# Actions bound to a key on some steps only (check_action hides them elsewhere).
STEP_ACTIONS: dict[str, set[str]] = {
    "lookup": {"start"},
    "resolve": {"host"},
    "probe": {"port"},
    "test_login": {"login"},
    "check_dns": {"sender"},
    "rerun": {"review"},
    "discover": {"host", "port"},
    "reveal": {"login"},
    "send_test": {"review"},
    "export": {"review"},
}


class WizardApp(App[int], inherit_bindings=False):
    """smtp-wizard's Textual app."""

    CSS_PATH = "wizard.tcss"
    TITLE = "smtp-wizard"
    ENABLE_COMMAND_PALETTE = True
    AUTO_FOCUS = None
    """Each step focuses its own first field when shown (`entered`): focusing the step list
    first, then the field, would restyle both for nothing in the first frame."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Next", id="next", priority=True, tooltip="The next step"),
        Binding("ctrl+b", "back", "Back", id="back", priority=True, tooltip="The step before"),
        Binding("ctrl+r", "lookup", "Look up", id="lookup", priority=True,
                tooltip="Look up the from address's domain for the provider it uses"),
        Binding("ctrl+r", "resolve", "Resolve", id="resolve", priority=True,
                tooltip="Look up the host's addresses"),
        Binding("ctrl+r", "probe", "Probe", id="probe", priority=True,
                tooltip="Connect to the chosen port and check TLS and the certificate"),
        Binding("ctrl+r", "test_login", "Test login", id="test-login", priority=True,
                tooltip="Log in to the server with these credentials (real AUTH)"),
        Binding("ctrl+r", "check_dns", "Check again", id="check-dns", priority=True,
                tooltip="Check MX, SPF, DKIM and DMARC again (after editing DNS)"),
        Binding("ctrl+r", "rerun", "Re-run", id="rerun", priority=True,
                tooltip="Run every check again"),
        Binding("ctrl+d", "discover", "Discover", id="discover", priority=True,
                tooltip="Try every port and TLS mode at once"),
        Binding("ctrl+f", "fix_mode", "Fix TLS mode", id="fix-mode", priority=True,
                tooltip="Switch to the TLS mode this port wants"),
        Binding("ctrl+t", "reveal", "Reveal", id="reveal", priority=True,
                tooltip="Show or hide the password"),
        Binding("ctrl+t", "send_test", "Send", id="send-test", priority=True,
                tooltip="Send a test message to the address given"),
        Binding("ctrl+g", "publish", "Publish", id="publish", priority=True,
                tooltip="Demo: publish the records to the demo DNS and check again"),
        Binding("ctrl+s", "save", "Save", id="save", priority=True,
                tooltip="Write the config file and store the password in the keyring"),
        Binding("ctrl+o", "export", "Export", id="export", priority=True,
                tooltip="Write the settings for your app (.env or a framework's format)"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True,
                tooltip="Leave (asks first when there are unsaved changes)"),
        Binding("ctrl+c", "help_quit", show=False, system=True),
    ]  # fmt: skip

    def __init__(
        self,
        *,
        draft: Draft,
        core: Core,
        world: Any = None,
        start: str | None = None,
        export_folder: Path | None = None,
    ) -> None:
        super().__init__()
        self.draft = draft
        self.core = core
        self.world = world
        self.board = Board()
        self.allow_plaintext = False
        """Confirmed on the Login step: credentials may cross an unencrypted connection."""
        self.export_folder = export_folder
        self.start_step = start or ("review" if draft.exists else "start")
        self._current = self.start_step
        self._panes: dict[str, StepPane] = {}
        self._mounting = asyncio.Lock()
        self._checks_ready = asyncio.Event()
        self._unresolved = ""
        self.saved_outcome: Any = None
        self.exported: Any = None
        self.resume_gc = False
        """Set by `entry.run`, which pauses garbage collection while the app starts."""

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TitleBar(id="titlebar")
        with Horizontal(id="main"):
            yield StepList()
            # Only the first step is mounted now (a fast first frame); the others are
            # mounted when first shown, each still reachable at once from the list.
            with ContentSwitcher(id="panes", initial=self.start_step):
                yield self.pane(self.start_step)
        yield KeyBar(id="footer")

    def on_mount(self) -> None:
        pane = self.pane(self.start_step)
        pane.build()
        self.refresh_chrome()
        if self._current == pane.STEP:
            pane.entered()
        self.call_after_refresh(self.started)

    async def started(self) -> None:
        """The first frame is out: complete its step, collect garbage again, load the
        checks."""
        await self.pane(self.start_step).complete()
        if self.resume_gc:
            self.resume_gc = False
            gc.freeze()  # what starting built lives as long as the app: never scanned again
            gc.enable()
        # The checks' modules load in a thread (importing dnspython alone takes a few
        # hundred milliseconds): no check freezes the screen.
        self._load_checks()

    def _load_checks(self) -> None:
        self.run_worker(
            self.core.preload,
            name="load-checks",
            group="load-checks",
            description="Loading the checks",
            thread=True,
            exit_on_error=False,
        )

    async def checks_loaded(self) -> None:
        """Wait until the checks' modules are loaded (in a thread, see `_load_checks`).

        Every check worker awaits this before it calls the core, so no import runs on
        the event loop while the screen is live. Waiting on an event (not on the loading
        worker) keeps a cancelled check from cancelling the load."""
        if not self._checks_ready.is_set() and not self._loading_checks():
            self._load_checks()
        await self._checks_ready.wait()

    def _loading_checks(self) -> bool:
        return any(worker.group == "load-checks" for worker in self.workers)

    async def _enter(self, step: str) -> None:
        pane = await self.ensure_built(step)
        if self._current == step:
            self.query_one("#panes", ContentSwitcher).current = step
            pane.entered()

    async def ensure_built(self, step: str) -> StepPane:
        """The step's pane, mounted (hidden unless current) and showing the draft."""
        pane = self.pane(step)
        async with self._mounting:
            if not pane.is_attached:
                await self.query_one("#panes", ContentSwitcher).add_content(pane)
            pane.build()
            await pane.complete()
        return pane

    @property
    def current(self) -> str:
        """The step on screen (kept here: bindings ask for it on every refresh)."""
        return self._current

    def pane(self, step: str) -> StepPane:
        """The step's pane (made on first use, mounted when first shown)."""
        pane = self._panes.get(step)
        if pane is None:
            module, name = PANES[step]
            pane = self._panes[step] = getattr(import_module(module), name)()
        return pane

    def built_panes(self) -> list[StepPane]:
        """The panes mounted so far, in the order of the steps."""
        return [self._panes[s] for s in STEP_IDS if s in self._panes and self._panes[s].built]

    def go(self, step: str) -> None:
        """Show `step` (any step, any time: nothing typed is lost)."""
        if step not in STEP_IDS:
            return
        pane = self.pane(step)
        if step == self.current and pane.built:
            pane.entered()
            return
        self._current = step
        if pane.built:
            self.query_one("#panes", ContentSwitcher).current = step
        self.refresh_chrome()
        self.refresh_bindings()
        self.call_later(self._enter, step)

    def refresh_chrome(self) -> None:
        draft = self.draft
        self.query_one(TitleBar).show(
            profile=draft.profile,
            path=str(draft.path),
            dirty=draft.dirty,
            demo=self.world is not None,
            new=not draft.exists,
        )
        self.query_one(StepList).show(self.glyphs(), self.current)

    def glyphs(self) -> dict[str, str]:
        glyphs = {step: self.board.glyph(step) for step in STEP_IDS}
        draft = self.draft
        chosen = draft.given("provider") or draft.given("host")
        glyphs["start"] = GLYPHS[Status.PASS] if chosen and draft.given("from_address") else WAITING
        review = self._panes.get("review")
        if getattr(review, "ran", None) is not None and self.board.results:
            shown = [self.board.status(s) for s in STEP_IDS]
            known = [s for s in shown if s is not None and s is not Status.SKIP]
            order = [Status.PASS, Status.WARN, Status.FAIL]
            glyphs["review"] = GLYPHS[max(known, key=order.index)] if known else WAITING
        return glyphs

    # -- the draft ------------------------------------------------------------------------

    def effective(self) -> Settings | None:
        """The settings as they stand (None when they cannot be resolved; said on screen)."""
        try:
            return self.draft.settings()
        except WizardError as error:
            if str(error) != self._unresolved:  # said once, not on every key press
                self._unresolved = str(error)
                self.notify(str(error), severity="error", markup=False)
            return None

    def edit(self, key: str, value: Any) -> str | None:
        """Put one value into the draft; the reason it was refused, or None."""
        return self.edit_many({key: value})

    def edit_many(self, values: Mapping[str, Any]) -> str | None:
        changed: set[str] = set()
        for key, value in values.items():
            if key == "provider":
                problem = self._choose_provider(value, changed)
            else:
                problem = self._edit_one(key, value, changed)
            if problem is not None:
                self.draft_changed(changed)
                return problem
        self.draft_changed(changed)
        return None

    def _edit_one(self, key: str, value: Any, changed: set[str]) -> str | None:
        if value in ("", [], ()):
            value = None
        before = self.draft.get(key)
        try:
            self.draft.edit(key, value)
        except (ValueError, WizardError) as error:
            return str(error)
        if self.draft.get(key) != before or value is None:
            changed.add(key)
        return None

    def _choose_provider(self, provider_id: str | None, changed: set[str]) -> str | None:
        """Choose a preset: it supplies host, port, encryption and username again."""
        if not provider_id or provider_id == self.draft.get("provider"):
            return None
        try:
            self.draft.choose_provider(provider_id)
        except (ValueError, WizardError) as error:
            return str(error)
        changed.update({"provider", *PRESET_KEYS})
        return None

    def set_password(self, secret: Secret | None) -> str | None:
        """Take the typed password; the reason it was refused, or None."""
        try:
            self.draft.set_password(secret)
        except (ValueError, WizardError) as error:
            return str(error)
        self.draft_changed({"password"})
        return None

    def draft_changed(self, keys: set[str]) -> None:
        """Tell every step what changed; they refresh what depends on it."""
        if not keys:
            self.refresh_chrome()
            return
        if "from_address" in keys:
            keys = keys | {"domain"}
        for pane in self.built_panes():
            pane.draft_changed(keys)
        self.refresh_chrome()

    def reload(self) -> None:
        """Another draft (profile switched, added): every step shows it from scratch."""
        self.board = Board()
        for worker in self.workers:
            if worker.group != "load-checks":
                worker.cancel()
        for pane in self.built_panes():
            pane.reload()
        self.refresh_chrome()

    # -- results --------------------------------------------------------------------------

    def record(self, result: CheckResult) -> None:
        self.board.record(result)
        self.refresh_chrome()

    def forget(self, check_ids: Iterable[str]) -> None:
        self.board.clear(check_ids)
        self.refresh_chrome()

    # -- keys -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        step = self._current
        if isinstance(self.screen, ModalScreen):
            # A dialog (or the command palette) is open: the steps' keys, and quitting, wait
            # until it is closed; the footer shows only the dialog's own keys.
            return action == "help_quit"
        if action in STEP_ACTIONS:
            return step in STEP_ACTIONS[action]
        if action == "next":
            return step != STEP_IDS[-1]
        if action == "back":
            return step != STEP_IDS[0]
        if action == "fix_mode":
            port = self._panes.get("port")
            return step == "port" and getattr(port, "fixable", None) is not None
        if action == "publish":
            return step == "sender" and self.world is not None
        return True

    def action_next(self) -> None:
        index = STEP_IDS.index(self.current)
        if index + 1 < len(STEP_IDS):
            self.go(STEP_IDS[index + 1])

    def action_back(self) -> None:
        index = STEP_IDS.index(self.current)
        if index > 0:
            self.go(STEP_IDS[index - 1])

    def after_typing(self, callback: Callable[[], object]) -> None:
        """Run `callback` once the focused field has taken the keys typed before this one.

        A key bound here (ctrl+r, ctrl+s) is handled at once, while the keys typed just
        before it may still wait in the field's own queue: "nope" then ctrl+r would test
        "no" and then cancel that test when the rest arrives. Queued behind those keys,
        the action sees all of them; the step's `flush` then puts them in the draft."""
        focused = self.focused
        if isinstance(focused, Input):
            focused.call_later(callback)
        else:
            self.call_later(callback)

    async def _delegate(self, step: str, action: str) -> None:
        """Run a step's action from anywhere: the step is shown (and built) first."""
        self.after_typing(partial(self._run_step_action, step, action))

    async def _run_step_action(self, step: str, action: str) -> None:
        shown = self._panes.get(self.current)
        if shown is not None and shown.built:
            shown.flush()  # the text typed just before the key counts
        if self.current != step:
            self.go(step)
        pane = await self.ensure_built(step)
        outcome = getattr(pane, f"action_{action}")()
        if inspect.isawaitable(outcome):
            await outcome

    async def action_lookup(self) -> None:
        await self._delegate("start", "lookup")

    async def action_resolve(self) -> None:
        await self._delegate("host", "resolve")

    async def action_probe(self) -> None:
        await self._delegate("port", "probe")

    async def action_discover(self) -> None:
        await self._delegate("port", "discover")

    async def action_fix_mode(self) -> None:
        await self._delegate("port", "fix_mode")

    async def action_test_login(self) -> None:
        await self._delegate("login", "test_login")

    async def action_reveal(self) -> None:
        await self._delegate("login", "reveal")

    async def action_check_dns(self) -> None:
        await self._delegate("sender", "check_dns")

    async def action_publish(self) -> None:
        await self._delegate("sender", "publish")

    async def action_rerun(self) -> None:
        await self._delegate("review", "rerun")

    async def action_send_test(self) -> None:
        await self._delegate("review", "send_test")

    async def action_transcript(self) -> None:
        await self._delegate("review", "transcript")

    @on(StepList.Chosen)
    def step_chosen(self, event: StepList.Chosen) -> None:
        self.go(event.step)

    @on(ActionButton.Pressed)
    async def button_pressed(self, event: ActionButton.Pressed) -> None:
        name = event.button.name
        if not name:
            return
        event.stop()
        pane = self.pane(self.current)
        pane.flush()
        handler = getattr(pane, f"action_{name}", None)
        if handler is None:
            await self.run_action(name)
            return
        outcome = handler()
        if inspect.isawaitable(outcome):  # (the Host step's Discover is a coroutine)
            await outcome

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette reaches every step and every action."""
        for step in STEPS:
            yield SystemCommand(f"Go to: {step.title}", step.heading, lambda s=step.id: self.go(s))
        actions = [
            ("Look up the provider", "From the from address's MX and SPF", self.action_lookup),
            ("Resolve the host", "Look up the host's addresses", self.action_resolve),
            ("Discover ports", "Try every port and TLS mode at once", self.action_discover),
            ("Probe the port", "Connect, TLS, certificate, AUTH offered", self.action_probe),
            ("Fix the TLS mode", "Switch to the mode the port wants", self.action_fix_mode),
            ("Test login", "Log in with these credentials (real AUTH)", self.action_test_login),
            ("Show or hide the password", "On the Login step", self.action_reveal),
            ("Check DNS again", "MX, SPF, DKIM, DMARC, records to add", self.action_check_dns),
            ("Re-run every check", "The review's full list", self.action_rerun),
            ("Send a test message", "To the address on the Review step", self.action_send_test),
            ("Show the SMTP transcript", "The last conversation, redacted", self.action_transcript),
            ("Save", "Write the config and store the password", self.action_save),
            ("Export", "Write .env or a framework's settings", self.action_export),
            ("Profiles", "Switch, add, rename or delete", self.action_profiles),
        ]  # fmt: skip
        if self.world is not None:
            actions.append(
                ("Publish the records (demo)", "To the demo DNS, then check", self.action_publish)
            )
        for title, help_text, callback in actions:
            yield SystemCommand(title, help_text, callback)
        yield SystemCommand("Quit", "Leave (asks when there are unsaved changes)", self.action_quit)
        for command in super().get_system_commands(screen):
            if command.title.lower() not in {"quit"}:
                yield command

    # -- saving, exporting, profiles, leaving ---------------------------------------------

    def action_save(self) -> None:
        self.after_typing(self._save_now)

    def _save_now(self) -> None:
        shown = self._panes.get(self.current)
        if shown is not None and shown.built:
            shown.flush()
        self.save()

    @work(exclusive=True, group="save", exit_on_error=False, description="Saving")
    async def save(self, then_quit: bool = False) -> None:
        try:
            outcome = await asyncio.to_thread(self.draft.save)
        except WizardError as error:
            self._say_outcome(Text(f"Not saved: {error}"), error=True)
            return
        self.saved_outcome = outcome
        text = Text()
        text.append("Saved ", style="bold")
        text.append(str(outcome.path))
        if outcome.backup is not None:
            text.append(f" (previous version kept as {outcome.backup.name})")
        text.append(".")
        if outcome.secret_stored:
            text.append(" The password is in the OS keyring.")
        if outcome.secret_problem:
            text.append(" The password was not stored anywhere.")
            text.append("\n! ", style="bold")
            text.append(outcome.secret_problem)
        for warning in outcome.warnings:
            text.append("\n! ", style="bold")
            text.append(warning)
        self._say_outcome(text, error=bool(outcome.secret_problem))
        self.draft_changed({"saved"})
        if then_quit:
            self.exit(0)

    def _say_outcome(self, text: Text, *, error: bool = False) -> None:
        """The whole story on the Review step; its first line as a short notice."""
        self.pane("review").outcome(text)  # type: ignore[attr-defined]
        first = text.plain.split("\n")[0]
        if error and "\n" in text.plain:
            first += " (details on the Review step)"
        self.notify(first, severity="error" if error else "information", markup=False, timeout=6)

    def action_export(self) -> None:
        from smtp_wizard.formats import FORMATS
        from smtp_wizard.tui.widgets.modals import ExportScreen

        folder = self.export_folder
        if folder is None:
            folder = self.draft.path.parent if str(self.draft.path.parent) != "." else None

        def chosen(answer: object) -> None:
            if isinstance(answer, tuple):
                self.export(*answer)

        self.push_screen(ExportScreen(FORMATS, folder), chosen)

    @work(exclusive=True, group="export", exit_on_error=False, description="Export")
    async def export(self, fmt: str, path: Path) -> None:
        try:
            outcome = await asyncio.to_thread(self.draft.export, fmt, path)
        except WizardError as error:
            self._say_outcome(Text(f"Not exported: {error}"), error=True)
            return
        self.exported = outcome
        text = Text()
        text.append("Exported ", style="bold")
        text.append(f"{fmt} to {outcome.path}")
        if outcome.backup is not None:
            text.append(f" (previous version kept as {outcome.backup.name})")
        text.append(".")
        for warning in outcome.warnings:
            text.append("\n! ", style="bold")
            text.append(warning)
        self.pane("review").outcome(text)  # type: ignore[attr-defined]
        from smtp_wizard.tui.widgets.modals import TextScreen

        self.push_screen(
            TextScreen(f"Exported: {outcome.path}", text, snippet=outcome.snippet),
        )

    def action_profiles(self) -> None:
        from smtp_wizard.tui.widgets.modals import ProfilesScreen

        draft = self.draft

        def chosen(answer: object) -> None:
            if isinstance(answer, tuple):
                self._profile_action(*answer)

        self.push_screen(
            ProfilesScreen(
                draft.profiles() or [draft.profile], draft.profile, draft.default_profile()
            ),
            chosen,
        )

    def _profile_action(self, action: str, name: str) -> None:
        from smtp_wizard.tui.widgets.modals import ConfirmScreen

        if action == "delete":
            question = Text(
                f"Delete profile {name!r} from {self.draft.path}, and its password from the "
                "OS keyring? The file keeps a .bak of the previous version."
            )

            def answered(answer: object) -> None:
                if answer == "delete":
                    self._profile_change(action, name)

            self.push_screen(
                ConfirmScreen(
                    "Delete a profile", question, [("delete", "Delete"), ("keep", "Keep")]
                ),
                answered,
            )
            return
        if action in ("switch", "add") and self.draft.dirty:

            def answered(answer: object) -> None:
                if answer == "discard":
                    self._profile_change(action, name)

            self.push_screen(
                ConfirmScreen(
                    "Unsaved changes",
                    "This profile has unsaved changes; they are lost if you leave it now.",
                    [("stay", "Stay and save first"), ("discard", "Leave without saving")],
                ),
                answered,
            )
            return
        self._profile_change(action, name)

    def _profile_change(self, action: str, name: str) -> None:
        try:
            if action == "switch":
                self.draft = self.draft.switch(name)
            elif action == "add":
                self.draft = self.draft.add_profile(name)
            elif action == "rename":
                self.draft.rename_profile(name)
            elif action == "delete":
                messages = self.draft.delete_profile(name)
                for message in messages:
                    self.notify(message, markup=False, timeout=6)
                if name == self.draft.profile:
                    remaining = self.draft.profiles()
                    fallback = self.draft.default_profile() or (remaining[0] if remaining else None)
                    if fallback is not None and fallback != name:
                        self.draft = self.draft.switch(fallback)
        except (WizardError, ValueError) as error:
            self.notify(str(error), severity="error", markup=False, timeout=8)
            return
        self.notify(f"Profile {self.draft.profile}: {action} done.", markup=False, timeout=4)
        self.reload()
        if action in ("switch", "add"):
            self.go("review" if self.draft.exists and action == "switch" else "start")

    async def action_quit(self) -> None:
        # After the keys typed before it: their edit makes the draft dirty, and asks first.
        self.after_typing(self._quit_now)

    def _quit_now(self) -> None:
        from smtp_wizard.tui.widgets.modals import ConfirmScreen

        shown = self._panes.get(self.current)
        if shown is not None and shown.built:
            shown.flush()
        if not self.draft.dirty:
            self.exit(0)
            return

        def answered(answer: object) -> None:
            if answer == "save":
                self.save(then_quit=True)
            elif answer == "discard":
                self.exit(0)

        if self.draft.creating:
            what = f"Profile {self.draft.profile} is not saved yet."
        else:
            changed = ", ".join(key for key, _, _ in self.draft.changes()) or "the password"
            what = f"Unsaved changes: {changed}."
        self.push_screen(
            ConfirmScreen(
                "Leave smtp-wizard?",
                Text(what),
                [("save", "Save and quit"), ("discard", "Quit without saving"), ("stay", "Stay")],
            ),
            answered,
        )

    # -- failures -------------------------------------------------------------------------

    def secrets(self) -> list[str]:
        """Every password this app holds in clear: masked in anything it prints."""
        found: list[str] = []
        if self.draft.password is not None:
            found.append(self.draft.password.reveal())
        for screen in self.screen_stack:
            for field in screen.query(Input):
                if (field.password or field.id == "login-password") and field.value:
                    found.append(field.value)
        return found

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed check becomes a message on screen, never a crash.

        Worker messages do not bubble: the steps pass theirs here (StepPane)."""
        worker = event.worker
        if worker.group == "load-checks" and worker.is_finished:
            self._checks_ready.set()  # loaded, or not: the checks import what is missing
        if event.state is not WorkerState.ERROR:
            return
        error = worker.error
        try:
            secrets: list[str] | None = self.secrets()
        except Exception:
            secrets = None
        what = worker.description or worker.name or "A check"
        text = f"{what} stopped: {type(error).__name__}: {error}"
        text = scrub(text, secrets) if secrets is not None else f"{what} stopped unexpectedly."
        node = worker.node
        if isinstance(node, StepPane):
            from smtp_wizard.tui.widgets.results import ResultList

            for rows in node.query(ResultList):
                rows.fail_running(
                    text,
                    "This is a bug in smtp-wizard; the other steps still work.",
                    others=f"not run: {what} stopped on an error",
                )
        self.notify(text, severity="error", markup=False, timeout=10)

    def _handle_exception(self, error: Exception) -> None:
        """Textual's fatal-error path, without local variables and with secrets masked.

        Overrides a private hook of Textual 8.2 (see crash.py); the pilot's re-raise
        (`_exception`) is kept so tests still see the error.
        """
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        try:
            secrets: list[str] | None = self.secrets()
        except Exception:
            secrets = None
        self._exit_renderables.append(Text(safe_report(error, secrets)))
        self._close_messages_no_wait()


__all__ = ["WizardApp"]
