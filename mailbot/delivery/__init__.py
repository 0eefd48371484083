"""Adapters that hand a finished mail to the world: an outgoing Maildir or an SMTP server."""
