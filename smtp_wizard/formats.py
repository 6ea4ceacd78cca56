"""The names of the export formats: what `--format` accepts, without loading the exporters.

The command line's parser and the wizard's export dialog list these; `export.py` writes
them. Kept apart so that building the parser costs no import of the export machinery.
"""

from __future__ import annotations

FORMATS: tuple[str, ...] = ("env", "django", "laravel", "rails", "nodemailer", "spring", "symfony")

__all__ = ["FORMATS"]
