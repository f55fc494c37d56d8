"""The organisation's plain parts, at the bottom of every layer: roles, working days,
London times, plain text, and the audit trail every read and write goes through."""
