"""Login: username (the preset's convention), password (masked), and a real AUTH."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import on, work
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Checkbox, Input

from smtp_wizard.errors import WizardError
from smtp_wizard.secret import Secret
from smtp_wizard.tui.steps.base import Field, Note, StepPane
from smtp_wizard.tui.validators import text_rule
from smtp_wizard.tui.widgets.button import ActionButton
from smtp_wizard.tui.widgets.results import ResultList


class LoginPane(StepPane):
    STEP = "login"
    BUTTONS = (("Test login", "test_login"),)

    def __init__(self) -> None:
        super().__init__()
        self.tested: tuple[object, ...] | None = None

    def body(self) -> Iterable[Widget]:
        yield Field(
            "Username",
            Input(
                id="login-user",
                validators=[text_rule("The username")],
                compact=True,
            ),
        )
        yield Note(id="login-user-message", classes="message")
        yield Note(id="login-user-origin", classes="origin")
        yield Note(id="login-user-hint", classes="hint")
        with Horizontal(classes="field"):
            yield Note("Password", classes="field-label")
            yield Input(
                id="login-password",
                password=True,
                validators=[text_rule("The password")],
                compact=True,
            )
            yield ActionButton("Show", id="login-reveal", name="reveal")
        yield Note(id="login-password-message", classes="message")
        yield Note(id="login-password-hint", classes="hint")
        yield Note(id="login-password-saved", classes="origin")
        yield Checkbox(
            "Send the password without encryption: anyone on the network path can read it",
            id="login-plaintext",
            compact=True,
        )
        yield ResultList(id="login-results", rows=["smtp.auth"])

    def reload(self) -> None:
        draft = self.wizard.draft
        self.set_input(self.query_one("#login-user", Input), draft.get("username") or "")
        secret = draft.password
        self.set_input(self.query_one("#login-password", Input), secret.reveal() if secret else "")
        self.query_one("#login-plaintext", Checkbox).value = self.wizard.allow_plaintext
        self.query_one("#login-results", ResultList).plan(["smtp.auth"])
        self.tested = None
        self._explain()

    def _explain(self) -> None:
        effective = self.wizard.effective()
        draft = self.wizard.draft
        hints = effective.hints if effective is not None else None
        origin = self.query_one("#login-user-origin", Note)
        origin.say(effective.explain("username") if effective and effective.username else None)
        self.query_one("#login-user-hint", Note).say(hints.username_hint if hints else None)
        world = self.wizard.world
        password_hint = hints.password_hint if hints else None
        if world is not None and hints is not None and hints.id == world.provider.id:
            password_hint = f"Demo password: {world.password}"
        self.query_one("#login-password-hint", Note).say(password_hint)
        saved = self.query_one("#login-password-saved", Note)
        if draft.password is not None:
            saved.say("Typed now: stored in the OS keyring when you save (ctrl+s).")
        elif effective is not None and effective.password is not None:
            saved.say(f"Saved: {effective.password.describe()}. Type a new one to replace it.")
        else:
            saved.say("Not saved yet: stored in the OS keyring when you save (ctrl+s).")
        security = draft.get("security") or "starttls"
        plaintext = self.query_one("#login-plaintext", Checkbox)
        plaintext.display = security == "none"

    def draft_changed(self, keys: set[str]) -> None:
        if keys & {"username", "provider"}:
            field = self.query_one("#login-user", Input)
            if not field.has_focus:
                self.set_input(field, self.wizard.draft.get("username") or "")
        inputs = {"host", "port", "security", "username", "password", "provider"}
        if keys & inputs and self.tested != self._target():
            # The last verdict was for other credentials: untested again, here and in the
            # step list (not the last ✓ or ✗ of something no longer typed).
            self.workers.cancel_group(self, "login")
            self.tested = None
            self.wizard.forget(["smtp.auth"])
            self.query_one("#login-results", ResultList).plan(["smtp.auth"])
        self._explain()

    def _target(self) -> tuple[object, ...]:
        draft = self.wizard.draft
        secret = draft.password
        return (
            draft.get("host"),
            draft.get("port"),
            draft.get("security"),
            draft.get("username"),
            id(secret),
            self.wizard.allow_plaintext,
        )

    def entered(self) -> None:
        field = self.query_one("#login-user", Input)
        (field if not field.value else self.query_one("#login-password", Input)).focus()

    # -- fields -------------------------------------------------------------------------------

    @on(Input.Changed, "#login-user")
    @on(Input.Changed, "#login-password")
    def field_changed(self, event: Input.Changed) -> None:
        if not self.taken(event.input):
            self.take(event.input)

    def take(self, field: Input) -> None:
        if field.id == "login-user":
            self.edit("username", field, self.query_one("#login-user-message", Note))
        elif field.id == "login-password":
            self._take_password(field)

    def _take_password(self, field: Input) -> None:
        self._taken[field.id or ""] = field.value
        message = self.query_one("#login-password-message", Note)
        if not field.is_valid:
            message.say("The password holds a control character (a pasted line break?).")
            message.set_class(True, "-error")
            return
        secret = self.wizard.draft.password
        if (secret.reveal() if secret is not None else "") == field.value:
            message.say(None)  # the same password: the last test still stands
            return
        problem = self.wizard.set_password(Secret(field.value) if field.value else None)
        message.say(problem)
        message.set_class(problem is not None, "-error")

    @on(Input.Submitted, "#login-password")
    def password_submitted(self) -> None:
        self.action_test_login()

    @on(Checkbox.Changed, "#login-plaintext")
    def plaintext_changed(self, event: Checkbox.Changed) -> None:
        self.wizard.allow_plaintext = event.value
        self.draft_changed({"password"})

    def action_reveal(self) -> None:
        field = self.query_one("#login-password", Input)
        field.password = not field.password
        self.query_one("#login-reveal", ActionButton).label = (
            "Hide" if not field.password else "Show"
        )

    # -- the real AUTH --------------------------------------------------------------------------

    def action_test_login(self) -> None:
        self.flush()
        if not self.wizard.draft.get("host"):
            self.query_one("#login-password-message", Note).say(
                "No host yet: set one on the Host step."
            )
            return
        security = self.wizard.draft.get("security")
        if security == "none" and not self.wizard.allow_plaintext:
            message = self.query_one("#login-password-message", Note)
            message.say(
                Text.assemble(
                    ("! ", "bold"),
                    "The connection is not encrypted (security none): the password would "
                    "cross the network readable. Tick the box below to allow it for this "
                    "test, or choose STARTTLS or SSL/TLS on the Port step.",
                )
            )
            self.query_one("#login-plaintext", Checkbox).focus()
            return
        self.test_login()

    @work(exclusive=True, group="login", exit_on_error=False, description="Login test")
    async def test_login(self) -> None:
        rows = self.query_one("#login-results", ResultList)
        rows.plan(["smtp.auth"], running=True)
        await self.wizard.checks_loaded()
        effective = self.wizard.effective()
        if effective is None:
            rows.done("not run: the settings are incomplete")
            return
        try:
            settings = self.wizard.core.smtp_settings(
                effective,
                password=self.wizard.draft.password,
                allow_plaintext_auth=self.wizard.allow_plaintext,
            )
        except WizardError as error:
            self.query_one("#login-password-message", Note).say(str(error))
            rows.done("not run: see the message above")
            return
        self.tested = self._target()
        probe = self.wizard.core.probe(settings, "login")
        # Only the login's own verdict is stale: the port's rows keep theirs until the
        # probe brings fresh ones (no step-list glyph flickers back to waiting).
        self.wizard.forget(["smtp.auth"])
        async for result in probe.results():
            self.wizard.record(result)
            if result.id == "smtp.auth" or result.failed:
                rows.show(result)  # a failure before AUTH says why it was not tried
        rows.done()


__all__ = ["LoginPane"]
