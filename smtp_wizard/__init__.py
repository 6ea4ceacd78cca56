"""smtp-wizard: configure an application's outgoing email, checked against the real server."""

__version__ = "0.1.0"
