"""docs/DATASETS.md is what pipelines/datasets.py says, and every text column is closed or open."""
from pathlib import Path

import pytest

from pipelines.datasets import DATASETS
from pipelines.datasets_doc import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "DATASETS.md"


def test_the_doc_is_current():
    assert DOC.read_text() == render(), "regenerate: .venv/bin/python -m pipelines.datasets_doc > docs/DATASETS.md"


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_text_column_is_closed_or_open_with_a_reason(name):
    ds = DATASETS[name]
    texts = {c.name for c in ds.columns if c.kind == "text"}
    closed, open_ = set(ds.allowed), set(ds.open_values)
    assert closed | open_ == texts and not closed & open_, "decide: a closed set (allowed) or open (why)"
    assert all(reason.strip() for reason in ds.open_values.values())
    for col, (other, by_other) in ds.allowed_with.items():
        assert set(by_other) <= set(ds.allowed[other])  # every venue named is an accepted venue
        assert {v for vs in by_other.values() for v in vs} == set(ds.allowed[col])


def test_the_doc_names_each_closed_set():
    text = render()
    assert "| `underlying` | text |  | yes | `BTC`, `IBIT`; with venue `Deribit`: `BTC`; venue `CME`: `BTC`; venue `OCC`: `IBIT` |" in text
    assert "`133741`, `133742`" in text and "`DVOL-BTC`, `DVOL-ETH`" in text
    assert "open: contract months roll every month" in text
