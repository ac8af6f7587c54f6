"""From payloads to raw rows: parse every archived payload that can hold a partition window's rows,
merge revisions, attach lineage. Pure of Dagster, so the CLI, the assets and the tests share it."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from pipelines import sources
from pipelines.archive import Archive, ArchiveError, StoredPayload
from pipelines.datasets import DATASETS, EARLIEST_DATE, LINEAGE_COLUMNS
from pipelines.sources.base import ParseError
from pipelines.warehouse import add_lineage

# How many days after a row's date a payload may still carry it (reported T+1, weekly releases,
# revisions). Payloads partitioned later than that are not read for the window.
DEFAULT_LOOKAHEAD_DAYS = 7
# Columns where the FIRST fetch that has a value wins (every later fetch of a tracker page would
# otherwise move "reported on" forward); every other column takes the latest fetch's value.
FIRST_SEEN_COLUMNS = {"etf_flows": ("reported_date",)}


class IngestError(Exception):
    """Rows for a window could not be read; nothing was written. Lists every failing payload."""

    def __init__(self, dataset: str, problems: list[str]):
        self.dataset, self.problems = dataset, problems
        listing = "\n  ".join(problems)
        super().__init__(f"raw.{dataset}: {len(problems)} payload(s) failed, nothing written:\n  {listing}")


@dataclass
class CollectedRows:
    dataset: str
    rows: pd.DataFrame  # canonical columns + lineage columns
    payloads: int = 0
    per_source: dict[str, int] = field(default_factory=dict)


def lookahead_days(source_name: str) -> int:
    return getattr(sources.get(source_name), "LOOKAHEAD_DAYS", DEFAULT_LOOKAHEAD_DAYS)


def empty_rows(dataset: str) -> pd.DataFrame:
    return pd.DataFrame(columns=DATASETS[dataset].column_names + list(LINEAGE_COLUMNS))


# Parsed payloads by sha256, so the assets of one run that read the same payloads (e.g. Yahoo's
# daily, hourly and futures rows) parse each payload once. Bounded by rows held.
_PARSE_CACHE: OrderedDict[tuple[str, str], object] = OrderedDict()
_PARSE_CACHE_MAX_ROWS = 3_000_000
_parse_cache_rows = 0


def parse_payload(stored: StoredPayload):
    """Parse one archived payload (hash verified). Errors name the source, the file and the field."""
    key = (stored.meta.source, stored.meta.sha256)
    if key in _PARSE_CACHE:
        _PARSE_CACHE.move_to_end(key)
        return _PARSE_CACHE[key]
    parsed = _parse_uncached(stored)
    remember_parsed(stored.meta.source, stored.meta.sha256, parsed)
    return parsed


def remember_parsed(source: str, sha256: str, parsed) -> None:
    """Cache a payload's parse (also one made before it was archived: an import reads its file first)."""
    global _parse_cache_rows
    previous = _PARSE_CACHE.pop((source, sha256), None)
    _parse_cache_rows += len(parsed.rows) - (len(previous.rows) if previous is not None else 0)
    _PARSE_CACHE[(source, sha256)] = parsed
    while _parse_cache_rows > _PARSE_CACHE_MAX_ROWS and len(_PARSE_CACHE) > 1:
        _, evicted = _PARSE_CACHE.popitem(last=False)
        _parse_cache_rows -= len(evicted.rows)


def _parse_uncached(stored: StoredPayload):
    module = sources.get(stored.meta.source)
    try:
        return module.parse(stored.read(), stored.meta)
    except ParseError as exc:
        raise exc.with_file(str(stored.path)) from None
    except ArchiveError:
        raise
    except Exception as exc:  # a parser bug or a payload shape nobody anticipated
        raise ParseError(stored.meta.source, f"{type(exc).__name__}: {exc}", file=str(stored.path)) from exc


def collect_from_archive(archive: Archive, dataset: str, start: date, end: date) -> CollectedRows:
    """Rows of `dataset` whose New York date lies in [start, end], from every payload of every source
    that can hold them. For a key seen in several payloads, each column takes its value from the
    latest fetched payload that has one (revisions win; partial rows from two endpoints merge), the
    payloads of an endpoint its source ranks higher (ENDPOINT_RANK) before any other; an import that
    replaced the dataset's rows in some days leaves only rows fetched since, there."""
    ds = DATASETS[dataset]
    frames, origins, problems, replaced, count = [], [], [], [], 0
    for name in sources.sources_for(dataset):
        module = sources.get(name)
        holds = getattr(module, "dataset_for", None)
        covers = getattr(module, "covers", None)
        rank = getattr(module, "ENDPOINT_RANK", {})
        # A payload of many days (an imported file) lies under its first day: read every one that
        # starts by `end` and ends on or after `start`.
        listing = (archive.list(name, None, end) if covers is not None
                   else archive.list(name, start, end + timedelta(days=lookahead_days(name))))
        for stored in listing:
            if holds is not None and holds(stored.meta) not in (None, dataset):
                continue  # its request says it holds another dataset: no need to parse it here
            if covers is not None and covers(stored.meta)[1] < start:
                continue
            try:
                parsed = parse_payload(stored)
            except (ParseError, ArchiveError) as exc:
                problems.append(str(exc))
                continue
            count += 1
            replaced += getattr(module, "replacements", lambda meta: [])(stored.meta)
            if parsed.dataset != dataset or parsed.rows.empty:
                continue
            frames.append(parsed.rows)
            origins.append((name, stored.meta.mode, stored.meta.sha256, stored.meta.fetched_at,
                            rank.get(stored.meta.endpoint, 0), len(parsed.rows), stored.path))
    if problems:
        raise IngestError(dataset, problems)
    if not frames:
        return CollectedRows(dataset, empty_rows(dataset), count, {})
    # Lineage for the whole window at once (per payload it cost more than the parsing).
    lengths = [o[5] for o in origins]
    source, mode, sha, fetched_at, endpoint_rank = (np.repeat([o[i] for o in origins], lengths) for i in range(5))
    rows = add_lineage(pd.concat(frames, ignore_index=True), ds, source=source, mode=mode, sha256=sha)
    rows["_fetched_at"] = fetched_at
    rows["_endpoint_rank"] = endpoint_rank
    _refuse_prehistoric_rows(rows, ds, {o[2]: o for o in origins})
    rows = rows.loc[(rows["_partition"] >= start) & (rows["_partition"] <= end)]
    for first, last, at in replaced:
        rows = rows.loc[~((rows["_partition"] >= first) & (rows["_partition"] <= last) & (rows["_fetched_at"] < at))]
    if rows.empty:
        return CollectedRows(dataset, empty_rows(dataset), count, {})
    per_source = {str(k): int(v) for k, v in rows["_source"].value_counts().sort_index().items()}
    return CollectedRows(dataset, merge_revisions(rows, dataset), count, per_source)


def _refuse_prehistoric_rows(rows: pd.DataFrame, ds, origins: dict) -> None:
    """A row dated before bitcoin existed is a unit mix-up (seconds read as milliseconds, a
    day count read as a date), not a row outside the window to drop without a word."""
    early = rows["_partition"].notna() & (rows["_partition"] < EARLIEST_DATE)
    if not early.any():
        return
    problems = []
    for sha, group in rows.loc[early].groupby("_payload_sha256", sort=False):
        source, path = origins[sha][0], origins[sha][6]
        problems.append(f"{source}: payload {path} (field {ds.date_column!r}): {len(group)} row(s) dated before "
                        f"{EARLIEST_DATE} (first: {group[ds.date_column].iloc[0]}): a unit mix-up, e.g. seconds "
                        "where milliseconds belong")
    raise IngestError(ds.name, problems)


def merge_revisions(rows: pd.DataFrame, dataset: str) -> pd.DataFrame:
    ds = DATASETS[dataset]
    missing_key = rows[list(ds.key)].isna().any(axis=1)
    if missing_key.any():
        bad = rows.loc[missing_key].iloc[0]
        problem = f"{bad['_source']}: payload {bad['_payload_sha256'][:16]} has a row without its key ({', '.join(ds.key)})"
        raise IngestError(dataset, [problem])
    order = [c for c in ("_endpoint_rank", "_fetched_at", "_payload_sha256") if c in rows]
    rows = rows.sort_values(order, kind="stable")
    grouped = rows.groupby(list(ds.key), sort=True, as_index=False, dropna=False)
    merged = grouped.last()
    first_seen = [c for c in FIRST_SEEN_COLUMNS.get(dataset, ()) if c in rows]
    if first_seen:
        earliest = grouped[first_seen].first()
        merged[first_seen] = earliest[first_seen].to_numpy()
    return merged[ds.column_names + list(LINEAGE_COLUMNS)].reset_index(drop=True)
