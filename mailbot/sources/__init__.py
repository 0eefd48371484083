"""Where mail comes from: small adapters with one interface (fetch new, then mark done)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class FetchedMail:
    key: str  # unique within the source, recorded for dedupe ("maildir:…", "imap:…")
    raw: bytes
    # Over the size limit: `raw` is the header only, so the sender can be told, not the mail handled.
    too_big: bool = False


class Source(Protocol):
    def fetch_new(self) -> Iterator[FetchedMail]: ...

    def mark_done(self, key: str, status: Literal["done", "failed"]) -> None: ...

    def close(self) -> None: ...
