"""Scan profiles (what a job extracts besides a menu) and the formats a result is rendered in."""
