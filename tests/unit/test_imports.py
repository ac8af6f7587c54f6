"""pipelines/imports.py: what one dataset's import writes, and what it leaves in the archive."""
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipelines.archive import Archive
from pipelines.datasets import DATASETS
from pipelines.imports import import_dataset
from pipelines.warehouse import MixedModeError, Warehouse, add_lineage

HEADER = "trade_date,index_name,close,source\n"


def setup(tmp_path: Path) -> tuple[Warehouse, Archive, Path]:
    directory = tmp_path / "in"
    directory.mkdir()
    return Warehouse(tmp_path / "w.duckdb"), Archive(tmp_path / "archive"), directory


def dvol(warehouse: Warehouse) -> dict:
    with warehouse.reader() as con:
        rows = con.execute("select trade_date, close from raw.vol_index_daily order by 1").fetchall()
    return dict(rows)


def test_a_later_import_revises_its_keys_and_an_empty_cell_erases_nothing(tmp_path):
    warehouse, archive, directory = setup(tmp_path)
    (directory / "vol_index_daily.csv").write_text(HEADER + "2026-02-04,DVOL-BTC,50,deribit\n2026-02-05,DVOL-BTC,60,deribit\n")
    first = import_dataset(warehouse, archive, directory, "vol_index_daily", replace=False, import_id="run-1")
    assert (first.rows, first.first, first.last) == (2, date(2026, 2, 4), date(2026, 2, 5))
    (directory / "vol_index_daily.csv").write_text(HEADER + "2026-02-05,DVOL-BTC,61,deribit\n2026-02-06,DVOL-BTC,70,deribit\n")
    import_dataset(warehouse, archive, directory, "vol_index_daily", replace=False, import_id="run-2")
    assert dvol(warehouse) == {date(2026, 2, 4): 50.0, date(2026, 2, 5): 61.0, date(2026, 2, 6): 70.0}
    # `close` may not be empty (a required number); etf_flows' flow_usd may: empty = unknown
    flows = "trade_date,ticker,flow_usd,source\n"
    (directory / "etf_flows.csv").write_text(flows + "2026-02-05,IBIT,-1000000,farside\n")
    import_dataset(warehouse, archive, directory, "etf_flows", replace=False, import_id="run-3")
    (directory / "etf_flows.csv").write_text(flows + "2026-02-05,IBIT,,farside\n")
    import_dataset(warehouse, archive, directory, "etf_flows", replace=False, import_id="run-4")
    with warehouse.reader() as con:
        assert con.execute("select flow_usd from raw.etf_flows").fetchall() == [(-1000000.0,)]


def test_the_same_import_twice_changes_nothing_and_is_recorded_once_per_run(tmp_path):
    warehouse, archive, directory = setup(tmp_path)
    (directory / "vol_index_daily.csv").write_text(HEADER + "2026-02-05,DVOL-BTC,60,deribit\n")
    import_dataset(warehouse, archive, directory, "vol_index_daily", replace=False, import_id="run-1")
    again = import_dataset(warehouse, archive, directory, "vol_index_daily", replace=False, import_id="run-1")
    assert again.written.unchanged
    (stored,) = archive.list("canonical-csv")
    assert [e["run_id"] for e in stored.meta.params["imports"]] == ["run-1"]
    later = import_dataset(warehouse, archive, directory, "vol_index_daily", replace=False, import_id="run-2")
    assert later.written.unchanged and len(archive.list("canonical-csv")[0].meta.params["imports"]) == 2


def test_a_refused_write_takes_the_import_back_out_of_the_archive(tmp_path):
    warehouse, archive, directory = setup(tmp_path)
    simulated = pd.DataFrame({"trade_date": [date(2026, 2, 4)], "index_name": ["DVOL-BTC"], "close": [50.0],
                              "source": ["deribit-dvol"]})
    with warehouse.writer() as con:
        warehouse.write_window(con, "vol_index_daily",
                               add_lineage(simulated, DATASETS["vol_index_daily"], "deribit-dvol", "simulated", "s"),
                               date(2026, 2, 4), date(2026, 2, 4))
    (directory / "vol_index_daily.csv").write_text(HEADER + "2026-02-05,DVOL-BTC,60,deribit\n")
    with pytest.raises(MixedModeError):
        import_dataset(warehouse, archive, directory, "vol_index_daily", replace=False, import_id="run-1")
    assert archive.list("canonical-csv") == []
    assert dvol(warehouse) == {date(2026, 2, 4): 50.0}
