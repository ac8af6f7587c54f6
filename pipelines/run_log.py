"""What a `btcflows` command run tells the person at the terminal, and what it keeps in its log file.

During the run: one line per message of the pipeline (`step: message`), and one line per failed
step naming its cause (`step failed: <the error>`), never a stack trace; every record in full,
stack traces included, goes to the run's log file (`<warehouse dir>/logs/last_run.log`, beside
dbt's events). Both come from a logger of the Definitions (`command_logger`), which a command's run
config selects instead of the console logger that runs from the UI and the daemon keep. After the
run, `failure_report` says in one line what failed, what the run wrote all the same, and what to do.
"""
from __future__ import annotations

import logging
import sys

import dagster as dg

LOG_RECORD_METADATA = "dagster_meta"  # the attribute Dagster puts its record metadata under
COMMAND_LOGGER = "btcflows_command"  # the logger a `btcflows` command selects in its run config


@dg.logger(
    config_schema={"log_level": dg.Field(str, is_required=False, default_value="INFO")},
    description="A btcflows command's run: one line per message and failed step on stderr (from log_level); "
                "every record in full on stdout, which is the run's log file while the command runs.",
)
def command_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.Logger(COMMAND_LOGGER, level=logging.DEBUG)  # noqa: LOG001 - one per run, unregistered: no handlers pile up
    terminal = OneLineHandler(level=init_context.logger_config["log_level"])
    full = logging.StreamHandler(sys.stdout)  # bound now: stdout is the log file for the run (cli.run_materialization)
    full.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(terminal)
    logger.addHandler(full)
    return logger


def error_text(error) -> str:
    """A step's error as one line: the exception the step raised, not Dagster's wrapper around it."""
    while error is not None and error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    if error is None:
        return ""
    message = " ".join(error.message.strip().split("\n", 1)[0].split())
    kind, _, rest = message.partition(": ")
    if rest and kind.rsplit(".", 1)[-1] == error.cls_name:  # "pkg.module.SomeError: text" -> "text"
        message = rest
    return message or error.cls_name or ""


class OneLineHandler(logging.Handler):
    """Each record as one line on stderr: the step and its message, or the step and its error."""

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, LOG_RECORD_METADATA, None)
        if meta is None:
            return
        try:
            event = meta.get("dagster_event")
            where = meta.get("step_key") or "run"
            if event is not None and event.is_step_failure:
                line = f"{where} failed: {error_text(event.event_specific_data.error)}"
            elif event is not None and (record.levelno < logging.WARNING or event.event_type_value == "PIPELINE_FAILURE"):
                return  # Dagster's own bookkeeping; the run's outcome is summed up at its end
            else:
                line = f"{where}: {meta['orig_message']}"
            sys.stderr.write(line.split("\n", 1)[0] + "\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - logging must never break the run
            self.handleError(record)


def _changed(metadata) -> bool:
    """Did this raw materialization change its table? (not when unchanged, or no file to import)"""
    unchanged = metadata.get("unchanged")
    return unchanged is not None and not unchanged.value


def _raised(error, cls_name: str) -> bool:
    """Did the step raise `cls_name` (under Dagster's wrappers)?"""
    while error is not None:
        if error.cls_name == cls_name:
            return True
        error = error.cause
    return False


def failure_report(result, start, end) -> str:
    """One line saying what failed in a run (each failed step has had its own line), what the run
    wrote all the same, and what to do next."""
    failures = {e.step_key: e.event_specific_data.error for e in result.all_events if e.is_step_failure}
    failed_steps = {step: error_text(error) for step, error in failures.items()}
    failed_checks = [c for c in result.get_asset_check_evaluations()
                     if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR]
    written = sorted({e.asset_key.to_user_string().replace("/", ".") for e in result.get_asset_materialization_events()
                      if e.asset_key.path[0] == "raw" and _changed(e.materialization.metadata)})
    # the lake is written after the warehouse's window is committed (pipelines/lake.py)
    lake_failed = sorted(s.replace("__", ".", 1) for s, e in failures.items()
                         if s.startswith("raw__") and _raised(e, "LakeError"))
    raw_failed = sorted(s.replace("__", ".", 1) for s in failed_steps
                        if s.startswith("raw__") and s.replace("__", ".", 1) not in lake_failed)
    parts = [f"materialization of {start}..{end} failed ({len(failed_steps)} step(s), {len(failed_checks)} check(s))"]
    if raw_failed:
        parts.append(f"nothing written to {', '.join(raw_failed)} (each as it was)")
    if lake_failed:
        parts.append(f"written to the warehouse but not (all) to the lake, and not checked: {', '.join(lake_failed)} "
                     "(run the window again)")
    if written:
        parts.append(f"written by this run all the same: {', '.join(written)}")
    parts.append("steps downstream of a failure did not run")
    if any("lock" in why.lower() for why in failed_steps.values()):
        parts.append("another process was writing the warehouse (a second run?): run this command again "
                     "when it has finished")
    return "; ".join(parts)
