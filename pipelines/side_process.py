"""Side processes of a `btcflows` run (dbt's parse-ahead, the GX worker) run at a lower CPU priority.

They yield the CPU to the run's own process, whose start-up and ingest are the critical path, and
still get any core the run leaves idle (on 2 cores the run uses one)."""
import os

SIDE_PROCESS_NICENESS = 10


def lower_priority(pid: int = 0) -> None:
    """Lower a side process's CPU priority (pid 0: this process); best effort."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, SIDE_PROCESS_NICENESS)
    except (AttributeError, OSError):  # no setpriority on this platform, or not permitted
        pass
