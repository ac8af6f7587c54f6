"""The payload archive: immutable files with a sidecar meta, verified by sha256 on read.

Layout: <archive>/<source>/<YYYY-MM-DD>/<sha256[:16]>.<ext> and <same>.meta.json.
A re-fetch that returns other bytes is a new file; the same bytes are stored once. A payload's bytes
are never rewritten; the one meta that grows is an imported file's (`record_import`: one entry per
import of the same bytes).
A failed fetch's responses (error pages, challenge pages, refused requests) are kept too, for
diagnosis, as <sha256[:16]>.failed.<ext> with `fetch_ok: false` and the error in their meta:
`list()` leaves them out unless asked, so nothing reads them as data.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
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


def _meta_bytes(meta: PayloadMeta) -> bytes:
    return json.dumps(asdict(meta), indent=1, sort_keys=True).encode()


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
            return StoredPayload(path, self._read_meta(meta_path))
        # Payload first, meta last: a payload without its meta is invisible to readers.
        _atomic_write(path, data, durable)
        _atomic_write(meta_path, _meta_bytes(meta), durable)
        return StoredPayload(path, meta)

    def record_import(self, data: bytes, meta: PayloadMeta, ext: str, event: dict) -> StoredPayload:
        """Store an imported file like a payload (same layout; its meta's `partition` is its first
        day) and add `event` ({"at", "run_id", "replace", ...}) to the imports its meta lists;
        `fetched_at` becomes that import's time, so the file imported last is the latest revision.
        The same run recording twice changes nothing. Durable, as the file may not exist elsewhere."""
        digest = sha256_hex(data)
        path = self.root / meta.source / meta.partition / f"{digest[:16]}.{ext.lstrip('.')}"
        meta_path = path.with_name(path.name + ".meta.json")
        with self._locked(meta.source):
            imports = []
            if meta_path.exists() and path.exists():
                held = self._read_meta(meta_path)
                imports = list(held.params.get("imports", []))
                if any(e.get("run_id") == event.get("run_id") for e in imports):
                    return StoredPayload(path, held)
                meta = replace(held, params={**held.params, **{k: v for k, v in meta.params.items() if k != "imports"}})
            meta = replace(meta, sha256=digest, fetched_at=event["at"], params={**meta.params, "imports": [*imports, event]})
            if not path.exists():
                _atomic_write(path, data)
            _atomic_write(meta_path, _meta_bytes(meta))
        return StoredPayload(path, meta)

    def forget_import(self, stored: StoredPayload, run_id: str) -> None:
        """Undo `record_import` of run `run_id` (its rows could not be written): drop its entry; a
        file no other import recorded leaves the archive."""
        meta_path = stored.path.with_name(stored.path.name + ".meta.json")
        with self._locked(stored.meta.source):
            held = self._read_meta(meta_path)
            imports = [e for e in held.params.get("imports", []) if e.get("run_id") != run_id]
            if not imports:
                meta_path.unlink(missing_ok=True)  # meta first: a payload without meta is invisible
                stored.path.unlink(missing_ok=True)
                return
            _atomic_write(meta_path, _meta_bytes(replace(held, fetched_at=max(e["at"] for e in imports),
                                                         params={**held.params, "imports": imports})))

    @contextlib.contextmanager
    def _locked(self, source: str) -> Iterator[None]:
        """One process at a time updates a source's metas (two imports of the same file at once)."""
        folder = self.root / source
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield

    def list(
        self,
        source: str | None = None,
        start: date | None = None,
        end: date | None = None,
        problems: list[str] | None = None,
        include_failed: bool = False,
    ) -> list[StoredPayload]:
        """Payloads (oldest partition first, then fetch time), optionally for one source and a
        partition window; the responses of failed fetches only with `include_failed`. A meta
        without its payload file, or one that is not JSON, raises ArchiveError, or, when `problems`
        is given, is described there and left out."""
        out = [p for p in self._iter(source, start, end, problems) if include_failed or not p.failed_fetch]
        out.sort(key=lambda p: (p.meta.source, p.meta.partition, p.meta.fetched_at, p.path.name))
        return out

    @staticmethod
    def _read_meta(meta_path: Path) -> PayloadMeta:
        try:
            return PayloadMeta.from_dict(json.loads(meta_path.read_text()))
        except (ValueError, TypeError, AttributeError) as exc:  # not JSON, or not an object
            raise ArchiveError(f"archive: {meta_path} is not a readable meta file: {exc}") from None

    def _iter(self, source, start, end, problems: list[str] | None = None) -> Iterator[StoredPayload]:
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
                    try:
                        meta = self._read_meta(meta_path)
                        if not payload.exists():
                            raise ArchiveError(f"archive: {meta_path} has no payload file {payload.name} "
                                               "(deleted or moved?)")
                    except ArchiveError as exc:
                        if problems is None:
                            raise
                        problems.append(str(exc))
                        continue
                    yield StoredPayload(payload, meta)

    def modes(self) -> set[str]:
        return {p.meta.mode for p in self._iter(None, None, None)}
