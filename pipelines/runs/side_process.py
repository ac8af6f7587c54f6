"""Side processes of a run (dbt-ahead's parse, the GX worker) run at a lower CPU priority.

They yield the CPU to the run's own process, whose start-up and ingest are the critical path, and
still get any core the run leaves idle (on 2 cores the run uses one)."""
import os
import sys
import threading

SIDE_PROCESS_NICENESS = 10


def lower_priority(pid: int = 0) -> None:
    """Lower a side process's CPU priority (pid 0: this process); best effort."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, SIDE_PROCESS_NICENESS)
    except (AttributeError, OSError):  # no setpriority on this platform, or not permitted
        pass


def lower_thread_priority() -> None:
    """Lower the calling thread's CPU priority only (Linux, where niceness is per thread); elsewhere
    nothing, since the whole process would follow and could not be raised back unprivileged."""
    if sys.platform.startswith("linux"):
        lower_priority(threading.get_native_id())
