"""Supervision sessions: planning and booking them, the next and past ones, moving them, and
calendar invitations."""
