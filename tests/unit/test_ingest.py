from datetime import date

import pandas as pd
import pytest

from pipelines.datasets import DATASETS
from pipelines.ingest import IngestError, merge_revisions
from pipelines.warehouse import add_lineage


def payload_rows(records, sha, fetched_at, dataset="etf_fund_daily"):
    ds = DATASETS[dataset]
    df = pd.DataFrame(records, columns=ds.column_names)
    out = add_lineage(df, ds, source="ishares", mode="live", sha256=sha)
    out["_fetched_at"] = fetched_at
    return out


def test_latest_fetch_wins_and_partial_rows_merge():
    d = date(2026, 2, 6)
    older = payload_rows([(d, "IBIT", 1_000.0, 40.0, None, "ishares")], "a" * 64, "2026-02-06T22:00:00Z")
    newer = payload_rows([(d, "IBIT", 1_200.0, None, 0.57, "ishares")], "b" * 64, "2026-02-07T14:00:00Z")
    merged = merge_revisions(pd.concat([newer, older]), "etf_fund_daily")
    assert len(merged) == 1
    row = merged.iloc[0]
    assert row["shares_outstanding"] == 1_200.0  # revision wins
    assert row["nav_usd"] == 40.0  # only the older payload had it
    assert row["btc_held"] == 0.57
    assert row["_payload_sha256"] == "b" * 64


def test_row_without_key_is_an_error():
    bad = payload_rows([(None, "IBIT", 1.0, 1.0, 1.0, "ishares")], "c" * 64, "2026-02-06T22:00:00Z")
    bad["_partition"] = date(2026, 2, 6)
    with pytest.raises(IngestError, match="without its key"):
        merge_revisions(bad, "etf_fund_daily")


def test_reported_date_keeps_the_first_report():
    d = date(2026, 2, 5)
    first = payload_rows([(d, "IBIT", -1e6, "farside", date(2026, 2, 6))], "a" * 64, "2026-02-06T14:00:00Z", "etf_flows")
    later = payload_rows([(d, "IBIT", -2e6, "farside", date(2026, 2, 9))], "b" * 64, "2026-02-09T14:00:00Z", "etf_flows")
    merged = merge_revisions(pd.concat([later, first]), "etf_flows")
    assert merged.loc[0, "flow_usd"] == -2e6  # the revision
    assert merged.loc[0, "reported_date"] == date(2026, 2, 6)  # first reported on T+1
