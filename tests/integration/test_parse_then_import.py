"""The whole `btcflows import` of what `btcflows parse` printed for one payload of every source: the
command accepts the files unchanged (its checks and the raw checks pass) and the raw tables hold
exactly the parsers' rows."""
from __future__ import annotations

import pandas as pd
import pytest

from pipelines.datasets import DATASETS
from pipelines.warehouse import Warehouse
from tests.unit.test_parse_import_round_trip import (
    ROUND_TRIP,
    comparable,
    parse_directly,
    parse_with_the_command,
)

pytestmark = pytest.mark.integration


def test_btcflows_import_takes_parse_output_unchanged(tmp_path, monkeypatch, capsys):
    from pipelines.cli import main

    printed: dict[str, list[str]] = {}
    expected: dict[str, list[pd.DataFrame]] = {}
    for source in ROUND_TRIP:
        dataset, text = parse_with_the_command(source, capsys)
        printed.setdefault(dataset, []).append(text)
        expected.setdefault(dataset, []).append(parse_directly(source))
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    for dataset, texts in printed.items():
        header = texts[0].splitlines()[0]
        assert all(t.splitlines()[0] == header for t in texts)
        lines = [line for t in texts for line in t.splitlines()[1:]]
        (csv_dir / f"{dataset}.csv").write_text("\n".join([header, *lines]) + "\n")

    monkeypatch.setenv("BTCFLOWS_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("BTCFLOWS_ARCHIVE", str(tmp_path / "archive"))
    main(["import", str(csv_dir)])  # exits non-zero (SystemExit) on a refused file or a failed check

    with Warehouse(tmp_path / "w.duckdb").reader() as con:
        for dataset, frames in expected.items():
            cols = ", ".join(f'"{c}"' for c in DATASETS[dataset].column_names)
            raw = con.execute(f"select {cols} from raw.{dataset}").df()
            want = comparable(pd.concat(frames, ignore_index=True), dataset)
            pd.testing.assert_frame_equal(comparable(raw, dataset), want, check_exact=True, obj=dataset)
