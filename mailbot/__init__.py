"""Mailbot: the follow-up of cross-department meetings, run by email."""

__version__ = "0.1.0"
