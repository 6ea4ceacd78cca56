"""Live checks: async, cancellable, bounded by a deadline; each yields a CheckResult."""
