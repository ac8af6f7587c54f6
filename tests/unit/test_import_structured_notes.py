"""`btcflows import` of structured_notes.csv: the documented example loads; wrong kinds, statuses and
sequence numbers are reported with file, line and column."""
from pathlib import Path

import pytest

from pipelines.datasets import DATASETS
from pipelines.files import ImportValidationError, read_checked, validate_dir
from pipelines.warehouse import add_lineage

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "structured_notes.csv"


def test_the_documented_example_imports(tmp_path):
    (tmp_path / "structured_notes.csv").write_text(EXAMPLE.read_text())
    summary = validate_dir(tmp_path).datasets["structured_notes"]
    assert summary.rows == 6
    ds = DATASETS["structured_notes"]
    checked, problems = read_checked(tmp_path / "structured_notes.csv", ds)
    assert problems == []
    rows = add_lineage(checked, ds, source="canonical-csv", mode="real", sha256="")
    final = rows[(rows["accession"] == "0001213900-25-113870") & (rows["barrier_kind"] == "knock_in")].iloc[0]
    assert (final["barrier_level_usd"], final["barrier_fraction_of_initial"]) == (35.399, 0.70)
    assert set(rows["_partition"].astype(str)) == {"2025-11-14", "2025-11-18", "2025-11-24"}  # the filing dates


def test_bad_cells_are_named(tmp_path):
    lines = EXAMPLE.read_text().splitlines()
    lines[2] = lines[2].replace(",final,", ",draft,")
    lines[3] = lines[3].replace(",coupon,1,", ",coupon,1.5,")
    lines[4] = lines[4].replace(",autocall,1,", ",call,1,")
    (tmp_path / "structured_notes.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(ImportValidationError) as info:
        validate_dir(tmp_path)
    problems = info.value.problems
    assert any("line 3: column 'document_status': not one of preliminary, final" in p for p in problems)
    assert any("line 4: column 'barrier_seq': not a whole number" in p for p in problems)
    assert any("line 5: column 'barrier_kind': not one of knock_in, buffer, coupon, autocall" in p for p in problems)
