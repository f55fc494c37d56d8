"""Notices: who is told about a flag, the outbox they wait in, and sending them."""
