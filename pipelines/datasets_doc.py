"""docs/DATASETS.md, written from pipelines/datasets.py: the canonical datasets, their columns and
units, and the values each text column accepts (closed sets) or why it accepts any (open ones).

    .venv/bin/python -m pipelines.datasets_doc > docs/DATASETS.md

A test keeps the file equal to what this prints."""
from __future__ import annotations

from pipelines.datasets import DATASETS, Dataset

KIND_TEXT = {"date": "date `YYYY-MM-DD`", "timestamp": "UTC instant `YYYY-MM-DDTHH:MM:SSZ`", "text": "text",
             "float": "number", "int": "integer"}

HEADER = """# Canonical raw datasets

<!-- Written by `python -m pipelines.datasets_doc` from pipelines/datasets.py; do not edit by hand. -->

The datasets every source parser produces and `btcflows import DIR` reads, as CSV files named
`<dataset>.csv`: a header row, UTF-8, comma separated, dates `YYYY-MM-DD`, timestamps ISO 8601 in
UTC with a `Z`, an empty cell for unknown (never a zero). Extra columns are an error; optional
columns may be left out. `btcflows parse SOURCE FILE` prints a payload's rows in this layout.
The shared contract is `../shared/docs/DATASETS.md`; this page is the project's own, with the
values each column accepts. Beyond the shared contract: the dataset `structured_notes` (the note
barrier register, docs/STRUCTURED_NOTES.md) and one more optional column of `futures_daily`,
`open_interest_source`.

## Accepted values

A text column is **closed** when the marts can use only the values listed: `btcflows import`
refuses any other value (exit 1, naming file, line, column and the accepted values) and the raw
checks (Great Expectations, blocking) refuse it in payloads, so a value the marts cannot use stops
at the door instead of vanishing from a mart. Where the set depends on another column (the option
underlyings each venue lists), the pair is checked. A column is **open** when new values are part
of the market (new funds, symbols, contract months); the reason is given. Rows a mart cannot use
all the same (e.g. in a warehouse written before a set was closed) are counted by dbt tests of
severity warn (`option_lines_left_out_of_the_gamma_marts`,
`warn_cme_contracts_left_out_of_the_basis_marts`): a run says how many.
"""


def _columns_table(ds: Dataset) -> list[str]:
    lines = ["| column | type | unit | required | accepted values |", "|---|---|---|---|---|"]
    for col in ds.columns:
        if col.name in ds.allowed:
            accepted = ", ".join(f"`{v}`" for v in ds.allowed[col.name])
            if col.name in ds.allowed_with:
                other, by_other = ds.allowed_with[col.name]
                accepted += "; with " + "; ".join(
                    f"{other} `{o}`: " + ", ".join(f"`{v}`" for v in vs) for o, vs in by_other.items())
        elif col.name in ds.open_values:
            accepted = f"open: {ds.open_values[col.name]}"
        elif col.kind in ("float", "int"):
            accepted = "≥ 0" if col.nonnegative else "any number"
        else:
            accepted = ""
        key = " (key)" if col.name in ds.key else ""
        lines.append(f"| `{col.name}`{key} | {KIND_TEXT[col.kind]} | {col.unit} | "
                     f"{'yes' if col.required else 'no'} | {accepted} |")
    return lines


def render() -> str:
    parts = [HEADER]
    for ds in DATASETS.values():
        parts.append(f"## `{ds.name}`\n")
        parts.append(f"{ds.description} Key: {', '.join(f'`{k}`' for k in ds.key)}; partitioned by the New York "
                     f"date of `{ds.date_column}`.\n")
        parts.append("\n".join(_columns_table(ds)) + "\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
