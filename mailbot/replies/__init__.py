"""Replies: what the person wrote (quotes.py) and the commands in it (commands.py)."""

from mailbot.replies.commands import Command, CommandVocabulary, load_command_vocabulary, read_commands
from mailbot.replies.quotes import QuoteRules, load_quote_rules, strip_reply

__all__ = [
    "Command",
    "CommandVocabulary",
    "QuoteRules",
    "load_command_vocabulary",
    "load_quote_rules",
    "read_commands",
    "strip_reply",
]
