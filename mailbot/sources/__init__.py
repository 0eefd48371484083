"""Where mail comes from: small adapters with one interface (fetch new, then mark done)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class FetchedMail:
    key: str  # unique within the source, recorded for dedupe ("maildir:…", "imap:…")
    raw: bytes
    # Over the size limit: `raw` is the header only, so the sender can be told, not the mail handled.
    too_big: bool = False


Mark = tuple[str, Literal["done", "failed"]]


class Source(Protocol):
    # How many handled mails `poll` hands to `mark_many_done` at once (each after its own commit):
    # 1 marks every mail as soon as it is handled; IMAP takes a fetch batch, so one MOVE per folder.
    mark_group: int

    def fetch_new(self) -> Iterator[FetchedMail]: ...

    def mark_done(self, key: str, status: Literal["done", "failed"]) -> None: ...

    def mark_many_done(self, marks: Sequence[Mark]) -> None: ...

    def close(self) -> None: ...
