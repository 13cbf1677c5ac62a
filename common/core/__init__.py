"""What every function needs whatever it does: settings, typed errors and which faults are transient,
structured logs, tracing, retries, the reader's language."""
