"""SMTP delivery with smtplib: SSL, STARTTLS or plain, with auth; one connection per batch."""

from __future__ import annotations

import contextlib
import email.errors
import smtplib
import ssl
from email.message import EmailMessage

from mailbot.outbox import PermanentDeliveryError, TemporaryDeliveryError


class SmtpDelivery:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "ssl",
        username: str = "",
        password: str = "",
        envelope_from: str,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.username, self.password = username, password
        self.envelope_from = envelope_from
        self.timeout = timeout
        # Made when first needed, not here: the daemon makes a delivery for every pass, and loading
        # the system's CA certificates costs 20-60 ms, which a plain (security = "none") relay never uses.
        self._ssl_context = ssl_context
        self._connection: smtplib.SMTP | None = None

    @property
    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def open(self) -> smtplib.SMTP:
        """Connect (TLS as configured) and log in, raising what the server or network said;
        `mailbot check` uses this too. The caller owns the connection."""
        if self.security == "ssl":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self.ssl_context
            )
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            connection.ehlo()
            if self.security == "starttls":
                connection.starttls(context=self.ssl_context)
                connection.ehlo()
            if self.username:
                connection.login(self.username, self.password)
        except BaseException:
            connection.close()
            raise
        return connection

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            return self._connection
        try:
            connection = self.open()
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryDeliveryError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        self._connection = connection
        return connection

    def send(self, message: EmailMessage, recipient: str, *, return_path: str | None = None) -> None:
        connection = self._connect()
        try:
            refused = connection.send_message(
                message, from_addr=return_path or self.envelope_from, to_addrs=[recipient]
            )
        except smtplib.SMTPNotSupportedError as exc:
            # An SMTPUTF8 address on a server that does not offer SMTPUTF8: it never will.
            raise PermanentDeliveryError(f"the server cannot carry this address: {exc}") from exc
        except (ValueError, TypeError, LookupError, email.errors.MessageError) as exc:
            raise PermanentDeliveryError(f"cannot be written as a mail: {exc}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _classify(code, text) from exc
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, exc.smtp_error) from exc
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._connection = None
            raise TemporaryDeliveryError(f"connection lost: {exc}") from exc
        if refused:
            code, text = next(iter(refused.values()))
            raise _classify(code, text)

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._connection.quit()
            self._connection = None


def _classify(code: int, text: bytes | str) -> Exception:
    detail = text.decode(errors="replace") if isinstance(text, bytes) else text
    if 400 <= code < 500:
        return TemporaryDeliveryError(f"{code} {detail}")
    return PermanentDeliveryError(f"{code} {detail}")
