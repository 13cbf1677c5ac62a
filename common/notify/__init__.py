"""Telling whoever asked that a job finished: Expo pushes, signed webhooks, and the egress checks
that keep callbacks off private addresses."""
