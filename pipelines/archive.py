"""The payload archive: immutable files with a sidecar meta, verified by sha256 on read.

Layout: <archive>/<source>/<YYYY-MM-DD>/<sha256[:16]>.<ext> and <same>.meta.json.
A re-fetch that returns other bytes is a new file; the same bytes are stored once.
A failed fetch's responses (error pages, challenge pages, refused requests) are kept too, for
diagnosis, as <sha256[:16]>.failed.<ext> with `fetch_ok: false` and the error in their meta:
`list()` leaves them out unless asked, so nothing reads them as data.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path


class ArchiveError(Exception):
    """The archive holds something it should not (a hash mismatch, a missing meta file)."""


@dataclass(frozen=True)
class PayloadMeta:
    source: str
    endpoint: str
    url: str
    params: dict = field(default_factory=dict)
    fetched_at: str = ""  # UTC ISO 8601
    partition: str = ""  # YYYY-MM-DD (New York)
    sha256: str = ""
    content_type: str = ""
    mode: str = "live"  # live | simulated
    # Added later; metas written before load with these defaults.
    fetch_ok: bool = True  # False: a response of a fetch that failed (kept for diagnosis, not data)
    fetch_error: str = ""  # why that fetch failed
    http_status: int | None = None

    @classmethod
    def from_dict(cls, d: dict) -> PayloadMeta:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


@dataclass(frozen=True)
class StoredPayload:
    path: Path
    meta: PayloadMeta

    @property
    def failed_fetch(self) -> bool:
        return not self.meta.fetch_ok

    def read(self) -> bytes:
        data = self.path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != self.meta.sha256:
            raise ArchiveError(
                f"archive: {self.path} is corrupt: sha256 {digest[:16]}… does not match its meta "
                f"({self.meta.sha256[:16]}…)"
            )
        return data


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Archive:
    def __init__(self, root: Path):
        self.root = Path(root)

    def write(self, data: bytes, meta: PayloadMeta, ext: str, durable: bool = True) -> StoredPayload:
        """Store `data` under its source and partition. Idempotent for identical bytes. Always atomic
        (temp file + rename); `durable` also fsyncs, for payloads that could not be fetched again."""
        if not meta.partition:
            raise ValueError("archive: a payload needs a partition date")
        digest = sha256_hex(data)
        meta = PayloadMeta(**{**asdict(meta), "sha256": digest})
        if not meta.fetched_at:
            meta = PayloadMeta(**{**asdict(meta), "fetched_at": utc_now_iso()})
        folder = self.root / meta.source / meta.partition
        kind = "" if meta.fetch_ok else ".failed"  # never the same file as a good payload with these bytes
        path = folder / f"{digest[:16]}{kind}.{ext.lstrip('.')}"
        meta_path = path.with_name(path.name + ".meta.json")
        if path.exists() and meta_path.exists():
            return StoredPayload(path, PayloadMeta.from_dict(json.loads(meta_path.read_text())))
        # Payload first, meta last: a payload without its meta is invisible to readers.
        _atomic_write(path, data, durable)
        _atomic_write(meta_path, json.dumps(asdict(meta), indent=1, sort_keys=True).encode(), durable)
        return StoredPayload(path, meta)

    def list(
        self,
        source: str | None = None,
        start: date | None = None,
        end: date | None = None,
        include_failed: bool = False,
    ) -> list[StoredPayload]:
        """Payloads (oldest partition first, then fetch time), optionally for one source and a
        partition window; the responses of failed fetches only with `include_failed`."""
        out = [p for p in self._iter(source, start, end) if include_failed or not p.failed_fetch]
        out.sort(key=lambda p: (p.meta.source, p.meta.partition, p.meta.fetched_at, p.path.name))
        return out

    def _iter(self, source, start, end) -> Iterator[StoredPayload]:
        if not self.root.exists():
            return
        sources = [self.root / source] if source else sorted(self.root.iterdir())
        for src in sources:
            if not src.is_dir():
                continue
            for day_dir in sorted(src.iterdir()):
                try:
                    day = date.fromisoformat(day_dir.name)
                except ValueError:
                    continue
                if (start and day < start) or (end and day > end):
                    continue
                for meta_path in sorted(day_dir.glob("*.meta.json")):
                    payload = meta_path.with_name(meta_path.name[: -len(".meta.json")])
                    meta = PayloadMeta.from_dict(json.loads(meta_path.read_text()))
                    if not payload.exists():
                        raise ArchiveError(f"archive: {meta_path} has no payload file {payload.name}")
                    yield StoredPayload(payload, meta)

    def modes(self) -> set[str]:
        return {p.meta.mode for p in self._iter(None, None, None)}
