"""The one root type for expected failures: each carries a message a person can act on."""


class MailbotError(Exception):
    """An expected failure whose message is shown to the user as is."""


class ConfigError(MailbotError):
    """The configuration file or an environment variable is wrong; the message names the key and file."""
