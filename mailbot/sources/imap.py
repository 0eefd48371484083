"""An IMAP folder as the bot's mailbox (imapclient): fetch by UID, move out once committed.

State lives on the server, not here: a mail leaves the watched folder (MOVE to `processed_folder`
or `failed_folder`) only after its outcome is committed, so the folder holds exactly the mail not
yet handled and no "last UID seen" needs to be stored. A crash between the commit and the move
leaves the mail in the folder; the next run fetches it again and the pipeline recognises it by
its key (`imap:{folder}:{uidvalidity}:{uid}`) or, after a UIDVALIDITY change, by its content
hash, answers "duplicate", and the mail is moved then. Nothing is handled twice, nothing skipped.

Mail bigger than `max_message_bytes` (RFC822.SIZE, checked before any body is fetched) is
yielded with its header only and `too_big=True`: the pipeline can answer the sender clearly,
and the mail still leaves the folder instead of being fetched again on every pass.

Network and server failures (socket errors, BYE, timeouts) reconnect with exponential backoff,
a bounded number of times per call, then raise `MailbotError` with a message a person can act on.

First start on a real mailbox (`first_start=True`: the database has no IMAP mail yet): the folder
may hold years of old mail, and answering it would spam everyone. Before the first fetch, every
mail already there is moved to `processed_folder` unanswered (flagged seen) - a baseline - and a
WARNING says how many; with `since`, only mail whose INTERNALDATE is before that day is moved so,
the rest is handled as usual. The baseline always leaves `processed_folder` in place: that folder
is the server-side mark that the baseline was done, so a restart before any new mail arrived (no
IMAP row in the database yet) does not baseline again and swallow mail that came meanwhile.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Any, Literal, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from mailbot.errors import MailbotError
from mailbot.sources import FetchedMail, Mark

log = logging.getLogger(__name__)

T = TypeVar("T")

# What a reconnect can cure. A plain IMAP4.error (NO/BAD on a command) is not in this list: the
# server answered, and asking again the same way would get the same answer.
RETRYABLE: tuple[type[BaseException], ...] = (OSError, imaplib.IMAP4.abort, socket.timeout, EOFError)

# RFC 2177: a server may drop a client idle for 30 minutes; re-issue IDLE well before that.
IDLE_RENEW_SECONDS = 25 * 60
# Dovecot does not announce mail that lands while IDLE starts (its watch begins after its last
# look at the folder), nor, once DONE cut its 0.5 s notification delay short, mail that landed
# during the IDLE. So the first IDLE round after a check is this short and another check follows:
# such mail waits this long, not until the caller's timeout (a second in the daemon's loop).
IDLE_RECHECK_SECONDS = 0.1
# Header fetch of an oversize mail is capped too: a hostile mail can carry megabytes of header.
MAX_HEADER_BYTES = 256 * 1024


class ImapSource:
    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        password: str,
        *,
        security: Literal["ssl", "starttls", "none"] = "ssl",
        folder: str = "INBOX",
        processed_folder: str = "Mailbot/Processed",
        failed_folder: str = "Mailbot/Failed",
        max_message_bytes: int = 25_000_000,
        batch_size: int = 100,
        batch_bytes: int = 32_000_000,
        retries: int = 4,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 30.0,
        timeout: float = 60.0,
        poll_seconds: float = 30.0,
        idle: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        sleep: Callable[[float], None] = time.sleep,
        first_start: bool = False,
        since: date | None = None,
    ) -> None:
        self.host, self.port, self.username = host, port, username
        self._password = password  # never logged, never part of a message
        self.security = security
        self.folder = folder
        self.processed_folder, self.failed_folder = processed_folder, failed_folder
        self.max_message_bytes = max_message_bytes
        self.batch_size, self.batch_bytes = batch_size, batch_bytes
        self.retries = retries
        self.backoff_seconds, self.max_backoff_seconds = backoff_seconds, max_backoff_seconds
        self.timeout = timeout
        self.poll_seconds = poll_seconds
        self.idle = idle  # False: poll even where IDLE is offered (some servers' IDLE is broken)
        self.ssl_context = ssl_context
        self._sleep = sleep
        self._client: IMAPClient | None = None
        self._uidvalidity: int | None = None
        self._delimiter = "/"
        self._known_folders: set[str] = set()
        self.since = since
        # Checked (and done) once, on the first fetch: connecting and its retries belong there.
        self._baseline_pending = first_start
        if since is not None and not first_start:
            log.warning("--since %s ignored: %s was handled before; only the first start takes a baseline",
                        since.isoformat(), self.folder)  # fmt: skip

    # -- the Source interface -------------------------------------------------------------------

    def fetch_new(self) -> Iterator[FetchedMail]:
        """Every mail now in the folder, oldest UID first, fetched in bounded batches."""
        if self._baseline_pending:
            self._baseline()
            self._baseline_pending = False
        uids, validity = self._call(
            "search the folder", lambda c: (sorted(c.search(["NOT", "DELETED"])), self._uidvalidity)
        )
        if not uids:
            return
        sizes: dict[int, int] = {}
        for chunk in _chunks(uids, 1000):
            found = self._call("read message sizes", lambda c, chunk=chunk: c.fetch(chunk, ["RFC822.SIZE"]))
            if not self._same_validity(validity):
                return
            sizes.update({uid: int(data[b"RFC822.SIZE"]) for uid, data in found.items() if b"RFC822.SIZE" in data})
        for batch in self._batches([uid for uid in uids if uid in sizes], sizes):
            small = [uid for uid in batch if sizes[uid] <= self.max_message_bytes]
            big = [uid for uid in batch if sizes[uid] > self.max_message_bytes]
            bodies = self._fetch_part(small, "BODY.PEEK[]", b"BODY[]") if small else {}
            headers = (
                self._fetch_part(big, f"BODY.PEEK[HEADER]<0.{MAX_HEADER_BYTES}>", b"BODY[HEADER]<0>") if big else {}
            )
            if not self._same_validity(validity):
                # The folder was recreated while we were reading it: the UIDs we hold name other
                # mail now. Stop; the next pass starts over with the new numbering.
                return
            for uid in batch:
                if uid in bodies:
                    yield FetchedMail(key=self._key(validity, uid), raw=bodies[uid])
                elif uid in headers:
                    log.warning("mail UID %s in %s is %d bytes, over the limit of %d: header only",
                                uid, self.folder, sizes[uid], self.max_message_bytes)  # fmt: skip
                    yield FetchedMail(key=self._key(validity, uid), raw=headers[uid], too_big=True)
                # else: expunged by someone else meanwhile; nothing to do

    def mark_done(self, key: str, status: Literal["done", "failed"]) -> None:
        """Move the mail out of the watched folder; called only after its outcome is committed."""
        parsed = self._parse_key(key)
        if parsed is None:
            log.warning("not an IMAP key of folder %s: %r", self.folder, key)
            return
        validity, uid = parsed
        target = self.processed_folder if status == "done" else self.failed_folder

        def move(client: IMAPClient) -> None:
            if self._uidvalidity != validity:
                # The UID names another mail now. Leave it: the next pass fetches the mail under
                # its new key and the pipeline's content-hash dedupe answers "duplicate".
                log.info("UIDVALIDITY of %s changed; %s will be recognised on the next pass", self.folder, key)
                return
            self._move_one(client, uid, self._ensure_folder(client, target), seen=status == "done")

        self._call(f"move mail to {target}", move)

    @property
    def mark_group(self) -> int:
        return max(self.batch_size, 1)

    def mark_many_done(self, marks: Sequence[Mark]) -> None:
        """`mark_done` for several mails, each committed already: one STORE and MOVE per folder.

        A MOVE per mail is the slowest step of a backlog (Dovecot: ~6 ms each, more than handling a
        help request). Same guarantees as one by one: a UID of another UIDVALIDITY is left for the
        next pass, and a mail gone already (another daemon, a person) is nothing to do.
        """
        by_status: dict[Literal["done", "failed"], list[tuple[int, int]]] = {"done": [], "failed": []}
        for key, status in marks:
            parsed = self._parse_key(key)
            if parsed is None:
                log.warning("not an IMAP key of folder %s: %r", self.folder, key)
                continue
            by_status[status].append(parsed)
        for status, parsed_keys in by_status.items():
            if len(parsed_keys) == 1:
                ((validity, uid),) = parsed_keys
                self.mark_done(self._key(validity, uid), status)
            elif parsed_keys:
                target = self.processed_folder if status == "done" else self.failed_folder
                self._call(
                    f"move {len(parsed_keys)} mails to {target}",
                    lambda c, keys=parsed_keys, target=target, seen=status == "done": self._move_many(
                        c, keys, target, seen=seen
                    ),
                )

    def _move_many(self, client: IMAPClient, parsed_keys: list[tuple[int, int]], target: str, *, seen: bool) -> None:
        uids = sorted(uid for validity, uid in parsed_keys if validity == self._uidvalidity)
        if len(uids) < len(parsed_keys):
            log.info("UIDVALIDITY of %s changed; %d mails will be recognised on the next pass",
                     self.folder, len(parsed_keys) - len(uids))  # fmt: skip
        if not uids:
            return
        server_target = self._ensure_folder(client, target)
        for chunk in _chunks(uids, 1000):
            try:
                _move_uids(client, chunk, server_target, seen=seen)
            except imaplib.IMAP4.abort:
                raise  # the connection broke: _call reconnects and moves again
            except IMAPClientError as exc:
                if not _vanished(exc):
                    raise
                # Some were gone already (another daemon moved them first), and a server may then
                # move none of them: one by one, where each gone one is nothing to do.
                log.info("some of %d mails were gone from %s before our move (%s); moving one by one",
                         len(chunk), self.folder, exc)  # fmt: skip
                for uid in chunk:
                    self._move_one(client, uid, server_target, seen=seen)

    def _move_one(self, client: IMAPClient, uid: int, server_target: str, *, seen: bool) -> None:
        try:
            # Seen when done, so a person browsing the processed folder sees the unread ones are
            # new; a failed mail stays unread so it catches the eye.
            _move_uids(client, [uid], server_target, seen=seen)
        except imaplib.IMAP4.abort:
            raise  # the connection broke: _call reconnects and moves again
        except IMAPClientError as exc:
            if not _vanished(exc):
                raise
            # Another daemon on this mailbox (or a person) moved or expunged it first. Our
            # outcome is committed and the pipeline deduped it, so the mail is where it belongs.
            key = self._key(self._uidvalidity, uid)
            log.info("mail %s was gone from %s before our move (%s): nothing to do", key, self.folder, exc)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except (*RETRYABLE, IMAPClientError):
            client.shutdown()

    # -- first start ----------------------------------------------------------------------------

    def _baseline(self) -> None:
        """First start: move the mail already in the folder (or older than `since`) out unanswered."""
        done_before = self._call(
            "look for the processed folder",
            # The delimiter is known once connected, i.e. inside the call.
            lambda c: c.folder_exists(self.processed_folder.replace("/", self._delimiter)),
        )
        if done_before:
            # A baseline (or an older bot) ran here already; the folder holds only unhandled mail.
            log.info("%s exists: %s was handled before, no baseline", self.processed_folder, self.folder)
            return
        criteria: list[Any] = ["NOT", "DELETED"]
        if self.since is not None:
            # BEFORE is exactly the complement of SINCE: INTERNALDATE's day, as the server sees it.
            criteria += ["BEFORE", self.since]
        # One snapshot of what counts as old: a retry after a dropped connection moves these UIDs,
        # never mail that arrived meanwhile (moving a UID already gone is a no-op OK).
        uids, validity = self._call("search the folder for old mail", lambda c: (c.search(criteria), self._uidvalidity))

        def move(client: IMAPClient) -> None:
            target = self._ensure_folder(client, self.processed_folder)
            if self._uidvalidity != validity:
                return  # the folder was recreated: the UIDs name other mail; moved none by mistake
            for chunk in _chunks(sorted(uids), 1000):
                _move_uids(client, chunk, target, seen=True)

        self._call(f"move old mail to {self.processed_folder}", move)
        if self._uidvalidity != validity:
            # Rare; the mark folder exists now, so the next start will not retry the baseline.
            log.warning("baseline: UIDVALIDITY of %s changed during the baseline; no old mail moved", self.folder)
        elif self.since is not None:
            log.warning("baseline: %d mails in %s from before %s left unanswered",
                        len(uids), self.folder, self.since.isoformat())  # fmt: skip
        elif uids:
            log.warning("baseline: %d old mails in %s left unanswered (use --since to process them)",
                        len(uids), self.folder)  # fmt: skip
        else:
            log.info("baseline: %s was empty; every mail from now on is answered", self.folder)

    # -- waiting for mail (the daemon's loop) ---------------------------------------------------

    def wait_for_mail(self, timeout: float) -> bool:
        """Block until the folder may hold new mail (True) or `timeout` seconds passed (False).

        With IDLE the server pushes EXISTS (Dovecot ~0.5 s after delivery); without it, poll.
        Mail already waiting returns True at once: IDLE only reports what arrives later.
        """
        deadline = time.monotonic() + timeout
        if self._call("check for mail", _has_mail):
            return True
        recheck = True  # the first IDLE round only: see IDLE_RECHECK_SECONDS
        while (remaining := deadline - time.monotonic()) > 0:
            if self._call("wait for mail", lambda c, r=remaining, f=recheck: self._wait_once(c, r, recheck=f)):
                return True
            recheck = False
        return False

    def _wait_once(self, client: IMAPClient, remaining: float, *, recheck: bool = False) -> bool:
        if not (self.idle and client.has_capability("IDLE")):
            self._sleep(min(remaining, self.poll_seconds))
            return _has_mail(client)
        if recheck and remaining > IDLE_RECHECK_SECONDS:
            began = time.monotonic()
            # A short round, then a check: mail that landed as the IDLE started, or whose notice
            # the DONE cut short, is seen now instead of at the timeout.
            if self._idle_round(client, IDLE_RECHECK_SECONDS) or _has_mail(client):
                return True
            remaining -= time.monotonic() - began
            if remaining <= 0:
                return False
        return self._idle_round(client, remaining)

    def _idle_round(self, client: IMAPClient, remaining: float) -> bool:
        client.idle()
        try:
            responses = list(client.idle_check(timeout=min(remaining, IDLE_RENEW_SECONDS)))
            # DONE's own untagged responses may carry the EXISTS too.
            responses += client.idle_done()[1]
        except BaseException:
            self._drop()  # a connection left mid-IDLE answers nothing else
            raise
        return any(_is_exists(response) for response in responses)

    # -- connection and retries -----------------------------------------------------------------

    def _call(self, what: str, operation: Callable[[IMAPClient], T]) -> T:
        delay = self.backoff_seconds
        for attempt in range(1, self.retries + 2):
            try:
                return operation(self._connected())
            except RETRYABLE as exc:
                self._drop()
                if attempt > self.retries:
                    raise MailbotError(
                        f"IMAP server {self.host}:{self.port}: cannot {what} after {attempt} attempts: {_describe(exc)}"
                    ) from exc
                log.warning("IMAP %s:%s: %s failed (%s); reconnecting in %.2f s",
                            self.host, self.port, what, _describe(exc), delay)  # fmt: skip
                self._sleep(delay)
                delay = min(delay * 2, self.max_backoff_seconds)
            except LoginError as exc:
                self._drop()
                raise MailbotError(
                    f"IMAP server {self.host}:{self.port} refused the login of {self.username!r}; "
                    "check source.imap.username and the password"
                ) from exc
            except IMAPClientError as exc:
                raise MailbotError(f"IMAP server {self.host}:{self.port}: cannot {what}: {_describe(exc)}") from exc
        raise AssertionError("unreachable")

    def _connected(self) -> IMAPClient:
        if self._client is not None:
            return self._client
        client = open_imap(
            self.host, self.port, self.username, self._password,
            security=self.security, ssl_context=self.ssl_context, timeout=self.timeout,
        )  # fmt: skip
        try:
            self._delimiter = _delimiter(client)
            try:
                selected = client.select_folder(self.folder)
            except imaplib.IMAP4.abort:
                raise  # the connection broke: _call reconnects
            except IMAPClientError as exc:  # NO: the folder is not there (or not ours to read)
                raise MailbotError(
                    f"IMAP server {self.host}:{self.port}: cannot open folder {self.folder!r} of {self.username!r} "
                    f"(source.imap.folder): {_describe(exc)}"
                ) from exc
        except BaseException:
            client.shutdown()
            raise
        validity = int(selected[b"UIDVALIDITY"])
        if self._uidvalidity is not None and validity != self._uidvalidity:
            log.warning("UIDVALIDITY of %s changed from %s to %s", self.folder, self._uidvalidity, validity)
        self._uidvalidity = validity
        self._client = client
        return client

    def _drop(self) -> None:
        client, self._client = self._client, None
        self._known_folders.clear()
        if client is not None:
            with contextlib.suppress(OSError):  # the socket may be gone already: that is why we are here
                client.shutdown()

    # -- helpers --------------------------------------------------------------------------------

    def _fetch_part(self, uids: list[int], item: str, key: bytes) -> dict[int, bytes]:
        found = self._call("fetch mail", lambda c: c.fetch(uids, [item]))
        wanted = set(uids)  # a server may add unsolicited FETCH responses for other mail
        return {uid: bytes(data[key]) for uid, data in found.items() if uid in wanted and data.get(key) is not None}

    def _batches(self, uids: list[int], sizes: dict[int, int]) -> Iterator[list[int]]:
        """At most `batch_size` mails and about `batch_bytes` per fetch: memory stays bounded."""
        batch: list[int] = []
        total = 0
        for uid in uids:
            size = min(sizes[uid], self.max_message_bytes)
            if batch and (len(batch) >= self.batch_size or total + size > self.batch_bytes):
                yield batch
                batch, total = [], 0
            batch.append(uid)
            total += size
        if batch:
            yield batch

    def _ensure_folder(self, client: IMAPClient, folder: str) -> str:
        # Config names folders with "/"; servers differ (Dovecot's Maildir++ default is ".").
        name = folder.replace("/", self._delimiter)
        if name in self._known_folders:
            return name
        if not client.folder_exists(name):
            try:
                client.create_folder(name)
            except IMAPClientError:
                # Another daemon may have created it between the check and the CREATE.
                if not client.folder_exists(name):
                    raise
            with contextlib.suppress(IMAPClientError):  # subscribed, so mail clients show it; optional
                client.subscribe_folder(name)
        self._known_folders.add(name)
        return name

    def _same_validity(self, validity: int | None) -> bool:
        return self._uidvalidity == validity

    def _key(self, validity: int | None, uid: int) -> str:
        return f"imap:{self.folder}:{validity}:{uid}"

    def _parse_key(self, key: str) -> tuple[int, int] | None:
        prefix = f"imap:{self.folder}:"
        if not key.startswith(prefix):
            return None
        validity, _, uid = key[len(prefix) :].partition(":")
        if not (validity.isdigit() and uid.isdigit()):
            return None
        return int(validity), int(uid)


def open_imap(
    host: str,
    port: int,
    username: str,
    password: str,
    *,
    security: str,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 60.0,
) -> IMAPClient:
    """Connect and log in, once, raising what the server or network said: the source retries
    around it, `mailbot check` reports it in plain words. The caller owns the client."""
    client = IMAPClient(host, port, ssl=security == "ssl", ssl_context=ssl_context, timeout=timeout)
    try:
        if security == "starttls":
            client.starttls(ssl_context or ssl.create_default_context())
        client.login(username, password)
    except BaseException:
        client.shutdown()
        raise
    return client


def _move_uids(client: IMAPClient, uids: list[int], target: str, *, seen: bool) -> None:
    """Move mail to `target`; safe to repeat: moving a UID that is gone is a no-op OK."""
    if seen:
        client.add_flags(uids, [b"\\Seen"])
    if client.has_capability("MOVE"):
        client.move(uids, target)
        return
    client.copy(uids, target)
    client.add_flags(uids, [b"\\Deleted"])
    if client.has_capability("UIDPLUS"):
        client.uid_expunge(uids)
    else:
        client.expunge()  # without UIDPLUS this also expunges others' \Deleted mail


def _delimiter(client: IMAPClient) -> str:
    # LIST "" "" answers with the hierarchy delimiter only (RFC 3501 6.3.8).
    listed = client.list_folders(directory="", pattern="")
    if listed and listed[0][1]:
        delimiter = listed[0][1]
        return delimiter.decode() if isinstance(delimiter, bytes) else str(delimiter)
    return "/"


def _vanished(exc: BaseException) -> bool:
    # Dovecot answers NO [EXPUNGEISSUED] (RFC 5530) to a STORE/MOVE of a mail another session
    # expunged; other servers say it in words only.
    text = str(exc).lower()
    return "expungeissued" in text or "no longer exist" in text


def _has_mail(client: IMAPClient) -> bool:
    # NOOP first: Dovecot answers SEARCH from what the session last saw and looks at the folder
    # only after it, so a SEARCH alone misses mail that came since the last command (or IDLE).
    client.noop()
    return bool(client.search(["NOT", "DELETED"]))


def _is_exists(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) >= 2 and response[1] == b"EXISTS"


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
