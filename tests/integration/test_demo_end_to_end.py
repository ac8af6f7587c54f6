"""End to end: the demo runs every real parser through Dagster and dbt into a temporary warehouse,
the planted truths come back exactly, and a replay of the same archive into an empty warehouse
builds identical marts. The demo's dbt step runs in its dbt-ahead process, the replay's in a plain
`dbt` process: identical marts also say the two ways of running dbt build the same."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from pipelines.warehouse import Warehouse

pytestmark = pytest.mark.integration

MART = "marts.fct_daily_snapshot_4pm_et"
COMPARED = [
    "btc_usd_4pm", "btc_return", "ibit_close", "ibit_return", "ibit_dollar_volume", "ibit_flow_usd",
    "total_etf_flow_usd", "ibit_put_contracts", "ibit_call_contracts", "cme_front_settle",
    "cme_front_basis_annualized", "cme_open_interest", "binance_open_interest_usd", "dvol",
]


def _run(monkeypatch, tmp, mode, archive, dbt_ahead=True):
    from pipelines.cli import run_materialization
    from pipelines.resources import IngestSettings

    monkeypatch.setenv("BTCFLOWS_WAREHOUSE", str(tmp / "btcflows.duckdb"))
    monkeypatch.setenv("BTCFLOWS_ARCHIVE", str(archive))
    start, end = IngestSettings().demo_run_window
    with pytest.MonkeyPatch.context() as plain:
        if not dbt_ahead:
            plain.setattr("pipelines.dbt_ahead.start_dbt_ahead", lambda *a, **kw: None)
        run_materialization(mode, start, end)
    return Warehouse(tmp / "btcflows.duckdb")


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    try:
        first = tmp_path_factory.mktemp("demo")
        second = tmp_path_factory.mktemp("replay")
        archive = first / "archive"
        demo_wh = _run(mp, first, "demo", archive)
        replay_wh = _run(mp, second, "replay", archive, dbt_ahead=False)
        yield demo_wh, replay_wh
    finally:
        mp.undo()


def test_the_demo_built_in_its_dbt_ahead_and_the_replay_in_plain_dbt(demo_runs):
    from pipelines.dbt_ahead import dbt_target_path

    demo_wh, replay_wh = demo_runs
    demo_log = (dbt_target_path(str(demo_wh.path)) / "dbt_ahead.log").read_text()
    assert "serving ['build', '--select', 'fqn:*']" in demo_log
    assert not (dbt_target_path(str(replay_wh.path)) / "dbt_ahead.log").exists()


def mart(warehouse: Warehouse) -> pd.DataFrame:
    with warehouse.reader() as con:
        return con.execute(f"select * from {MART} order by trade_date").df()


def test_planted_truths_come_back(demo_runs):
    from pipelines.demo.cached import cached_scenario
    from pipelines.resources import IngestSettings

    settings = IngestSettings()
    start, end, crash = settings.demo_window
    truths = cached_scenario(settings.demo_seed, start, end, crash).truths
    got = mart(demo_runs[0]).set_index("trade_date")
    expected = truths.daily.set_index("trade_date")
    common = expected.index.intersection(got.index)
    assert len(common) >= 100
    assert (got["data_mode"] == "simulated").all()
    for col in COMPARED:
        if col not in expected:
            continue
        e, g = expected.loc[common, col].astype(float), got.loc[common, col].astype(float)
        both_null = e.isna() & g.isna()
        assert (e.isna() == g.isna()).all(), f"{col}: null pattern differs on {list(common[e.isna() != g.isna()])[:5]}"
        np.testing.assert_allclose(g[~both_null], e[~both_null], rtol=1e-9, atol=1e-9, err_msg=col)


def test_crash_day_story(demo_runs):
    got = mart(demo_runs[0]).set_index("trade_date")
    from pipelines.resources import IngestSettings

    _, _, crash = IngestSettings().demo_window
    day = got.loc[pd.Timestamp(crash)]
    assert -0.14 <= day["ibit_return"] <= -0.12
    assert day["ibit_dollar_volume"] == got["ibit_dollar_volume"].max()
    assert day["ibit_put_contracts"] > day["ibit_call_contracts"]


def _content_hash(df: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(df, index=False).values.tobytes()).hexdigest()


def test_replay_of_the_archive_builds_identical_marts(demo_runs):
    demo_wh, replay_wh = demo_runs
    with demo_wh.reader() as a, replay_wh.reader() as b:
        tables = [t for (t,) in a.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema = 'marts' order by 1").fetchall()]
        assert MART in tables
        for table in tables:
            left = a.execute(f"select * from {table} order by all").df()
            right = b.execute(f"select * from {table} order by all").df()
            assert len(left) > 0, table
            assert _content_hash(left) == _content_hash(right), f"{table} differs between demo and replay"


def test_the_note_barrier_register_daily_view_and_chart(demo_runs):
    demo_wh = demo_runs[0]
    from pipelines.resources import IngestSettings

    _, _, crash = IngestSettings().demo_window
    with demo_wh.reader() as con:
        register = con.execute("select count(distinct note_id), count(*) filter (where document_status = 'final') "
                               "from marts.fct_note_barriers").fetchone()
        crash_row = con.execute("select barriers_breached, principal_breached_usd, data_mode "
                                "from marts.fct_note_barriers_daily where trade_date = ?", [crash]).fetchone()
    assert register[0] >= 6 and register[1] > 0
    assert crash_row[0] >= 3 and crash_row[1] > 0 and crash_row[2] == "simulated"
    page = (demo_wh.path.parent / "reports" / "report.html").read_text()
    figure = page.split('id="note_barriers"', 1)[1].split("</figure>", 1)[0]
    assert 'data-has-data="true"' in page.split('id="note_barriers"', 1)[1][:200]
    assert 'data-banner="simulated"' in page.split('id="note_barriers"', 1)[1][:200]
    assert "raw.structured_notes (sec-edgar)" in figure
    assert (demo_wh.path.parent / "reports" / "note_barriers.png").stat().st_size > 10_000
