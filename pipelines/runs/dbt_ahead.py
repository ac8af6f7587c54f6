"""dbt-ahead: dbt imported and the project parsed in a second process while the run ingests.

When a run that builds dbt starts (any run: the CLI's, the UI's, a schedule's or a sensor's; the
dbt resource starts it, pipelines/assets/dbt.py), a second process imports dbt and parses the project
for the run's warehouse and window, on the other core and at a lower priority, while the run's own
process ingests and checks. It then holds the parsed project and waits. When the dbt step starts,
dagster-dbt runs its dbt
executable as always; that executable is `btcflows-dbt` (`client_main` below), which hands its
command, environment and output streams to the waiting process. dbt then builds there with the
project already parsed (dbt's programmatic `dbtRunner(manifest=...)`), writing the same JSON event
lines to the same pipe: dagster-dbt sees what it sees from a plain `dbt` process, one start-up and
one parse sooner. The server (`pipelines/runs/dbt_ahead_server.py`) serves one command, and only the
one it prepared for: same warehouse, window, target, project and profiles, and no project file
changed since its parse. Otherwise, and whenever no dbt-ahead was started (a dbt CLI resource built
elsewhere, e.g. in tests), `btcflows-dbt` becomes the installed `dbt` itself (exec): nothing else
changes.

Light on purpose: `btcflows-dbt` starts on every dbt step and importing dagster-dbt or dbt-core
here would cost seconds.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipelines.config import DBT_PROJECT_DIR
from pipelines.dbt_project import dbt_env, dbt_executable, dbt_file_log_level, dbt_target_path

# The socket of the dbt-ahead prepared for this dbt step (set by the dbt asset for its dbt.cli call).
AHEAD_SOCKET_ENV = "BTCFLOWS_DBT_AHEAD"
# The dbt commands dbt-ahead serves: those that run nodes of the parsed project.
SERVED_COMMANDS = ("build", "run", "test", "seed", "snapshot")
# What must be the same in the dbt step's environment as when dbt-ahead parsed the project.
PARSE_ENV = ("BTCFLOWS_WAREHOUSE", "BTCFLOWS_WINDOW_START", "BTCFLOWS_WINDOW_END",
             "DBT_TARGET_PATH", "DBT_PROJECT_DIR", "DBT_PROFILES_DIR")


def dbt_step_executable() -> str:
    """The executable the dbt asset runs: `btcflows-dbt` when installed beside this Python (it
    uses a dbt-ahead if there is one, else becomes `dbt`), else `dbt`."""
    candidate = Path(sys.executable).with_name("btcflows-dbt")
    return str(candidate) if candidate.exists() else dbt_executable()


# -- the run's side: start, hand over, stop ------------------------------------------------------
@dataclass
class _Ahead:
    process: subprocess.Popen
    socket_path: Path


_started: dict[Path, _Ahead] = {}


def start_dbt_ahead(warehouse_path: str, start: date, end: date, *, python: str | None = None,
                    project_dir: str | Path = DBT_PROJECT_DIR, profiles_dir: str | Path = DBT_PROJECT_DIR) -> None:
    """Start the dbt-ahead process for this warehouse's target directory and this window."""
    target = dbt_target_path(warehouse_path)
    if target in _started:
        return
    target.mkdir(parents=True, exist_ok=True)
    # A short private path: a Unix socket's path may not exceed ~100 bytes, a warehouse's path may.
    socket_path = Path(tempfile.mkdtemp(prefix="btcflows-dbt-")) / "s"
    # Listening from here on, before the server has even started: a dbt step that asks early waits
    # in the backlog instead of missing it.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(socket_path))
    listener.listen(1)
    env = {**os.environ, **dbt_env(warehouse_path, start, end), **server_dbt_env(target, project_dir, profiles_dir)}
    with listener, open(target / "dbt_ahead.log", "w") as log:
        # stdin stays open as the server's lifeline: it exits when this process closes it or dies.
        process = subprocess.Popen(
            [python or sys.executable, "-m", "pipelines.runs.dbt_ahead_server", "--listen-fd", str(listener.fileno()),
             "--socket", str(socket_path),
             "--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir), "--target-path", str(target)],
            env=env, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, cwd=str(project_dir),
            pass_fds=[listener.fileno()])
    _started[target] = _Ahead(process, socket_path)


def server_dbt_env(target: Path, project_dir: str | Path, profiles_dir: str | Path) -> dict[str, str]:
    """The dbt settings dagster-dbt gives its dbt process, so that the parse sees what the build will."""
    return {"DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target), "DBT_PROJECT_DIR": str(project_dir),
            "DBT_PROFILES_DIR": str(profiles_dir), "DBT_LOG_FORMAT": "json", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_LOG_LEVEL_FILE": dbt_file_log_level(), "PYTHONUNBUFFERED": "1"}


def ahead_env(target: Path) -> dict[str, str]:
    """For the dbt step's environment: where its dbt-ahead waits (empty when none was started).
    Each dbt-ahead serves one command: the first step that asks takes it."""
    ahead = _started.get(target)
    if ahead is None or ahead.process.poll() is not None:
        return {}
    return {AHEAD_SOCKET_ENV: str(ahead.socket_path)}


def stop_dbt_ahead() -> None:
    """End every dbt-ahead of this process (after its build it has exited already; one that no
    dbt step used, because the run failed before dbt, is ended here)."""
    while _started:
        _, ahead = _started.popitem()
        proc = ahead.process
        if proc.stdin is not None:
            try:
                proc.stdin.close()  # the lifeline: the server exits at once
            except OSError:
                pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(ahead.socket_path.parent, ignore_errors=True)


# -- btcflows-dbt: the dbt executable of the dbt step --------------------------------------------
def command_name(args: list[str]) -> str | None:
    return next((a for a in args if not a.startswith("-")), None)


def _send(sock: socket.socket, message: dict, fds: list[int] | None = None) -> None:
    body = json.dumps(message).encode()
    header = len(body).to_bytes(8, "big")
    if fds:
        socket.send_fds(sock, [header], fds)
    else:
        sock.sendall(header)
    sock.sendall(body)


def served_by_ahead(socket_path: str, args: list[str]) -> int | None:
    """Have the dbt-ahead at socket_path run `dbt <args>` with this process's environment, working
    directory and standard streams; its exit code, or None when it does not serve this command."""
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(socket_path)
    except OSError:
        return None
    with sock:
        _send(sock, {"args": args, "env": dict(os.environ), "cwd": os.getcwd()}, [0, 1, 2])
        replies = sock.makefile("r")
        first = replies.readline()
        reply = json.loads(first) if first else {}
        if not reply.get("served"):
            if reply.get("reason"):
                print(f"btcflows-dbt: dbt-ahead not used ({reply['reason']}); running dbt", file=sys.stderr, flush=True)
            return None
        server_pid = int(reply["pid"])
        # dagster-dbt interrupts its dbt process with SIGINT: pass it on to where dbt runs.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, _frame: os.kill(server_pid, signum))
        last = replies.readline()
    if not last:
        print("btcflows-dbt: the dbt-ahead process ended without an exit code", file=sys.stderr, flush=True)
        return 2
    return int(json.loads(last)["exit"])


def client_main() -> None:
    """`btcflows-dbt ARGS`: `dbt ARGS`, run by the waiting dbt-ahead when there is one for it."""
    args = sys.argv[1:]
    socket_path = os.environ.pop(AHEAD_SOCKET_ENV, "")
    if socket_path and command_name(args) in SERVED_COMMANDS:
        code = served_by_ahead(socket_path, args)
        if code is not None:
            sys.stdout.flush()
            os._exit(code)
    dbt = dbt_executable()
    os.execvp(dbt, [dbt, *args])  # searches PATH when dbt is not beside this Python
