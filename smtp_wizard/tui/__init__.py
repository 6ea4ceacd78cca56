"""The Textual wizard. `smtp_wizard.cli` imports this package only for `smtp-wizard` and
`smtp-wizard demo`; every other command runs without Textual."""

from smtp_wizard.tui.entry import WizardOptions, make_app, run, run_demo, run_wizard

__all__ = ["WizardOptions", "make_app", "run", "run_demo", "run_wizard"]
