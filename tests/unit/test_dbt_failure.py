"""A failed dbt command is one line: its first error, or the lock it met."""
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from pipelines.assets.dbt import dbt_failure


def dagster_dbt_error(*messages: str) -> DagsterDbtCliRuntimeError:
    """As dagster-dbt words it: its description, then dbt's error-level messages (blank-line separated)."""
    return DagsterDbtCliRuntimeError(description="\n\n".join([
        ("The dbt CLI process with command\n\n`dbt build`\n\nfailed with exit code `2`. Check the stdout in the Dagster "
         "compute logs for the full information about the error."), "Errors parsed from dbt logs:", *messages]))


def test_a_lock_met_by_dbt_is_named():
    exc = dagster_dbt_error('Encountered an error:\nIO Error: Could not set lock on file "/w/btcflows.duckdb": '
                            "Conflicting lock is held in /usr/bin/python3 (PID 771).", "Traceback (most recent call last):")
    line = dbt_failure(exc, ["build"], 2, "/w/btcflows.duckdb")
    assert line == ("dbt could not open the warehouse /w/btcflows.duckdb: another process holds its lock "
                    "(a second run?); the marts were not rebuilt")


def test_another_failure_is_its_first_error_on_one_line():
    exc = dagster_dbt_error("Failure in test not_null_fct_x_y (models/marts/_marts.yml)\n  Got 3 results",
                            "Done. PASS=10 ERROR=1")
    assert dbt_failure(exc, ["build"], 1, "/w/btcflows.duckdb") == (
        "dbt build failed (exit code 1): Failure in test not_null_fct_x_y (models/marts/_marts.yml) Got 3 results; "
        "dbt's events are in the run's log")
