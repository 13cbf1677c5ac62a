"""The scan job: its store, ids, lease, and the event log with its pages and payloads."""
