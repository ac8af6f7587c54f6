"""The dbt-ahead process of a run (see pipelines/runs/dbt_ahead.py): import dbt and parse the
project now, then run the dbt step's command with the parsed project when `btcflows-dbt` hands it
over (once), on that command's own streams.

    python -m pipelines.runs.dbt_ahead_server --listen-fd N --socket S --project-dir P --profiles-dir P --target-path T

(N: a listening Unix socket, bound by the run at S and inherited; S's private directory is removed
once a client is in, or when this process leaves.)

The import and the parse run in a thread at a lower CPU priority (on Linux a thread's niceness is
its own), so they yield the core to the run's process; the build runs in the main thread at normal
priority, being then the run's critical path. It exits after serving, when its stdin (the run's
lifeline) closes, or when it refuses a command (the client then runs plain dbt).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import socket
import sys
import threading
import time
from pathlib import Path

from pipelines.dbt_project import newest_source_mtime
from pipelines.runs.dbt_ahead import PARSE_ENV, SERVED_COMMANDS, command_name
from pipelines.runs.gc_tuning import frozen_after_loading
from pipelines.runs.side_process import lower_thread_priority

# File timestamps come from a coarser clock than time.time(): a file written just after the parse
# started may carry an earlier mtime. Files changed this shortly before the parse count as changed.
MTIME_MARGIN_S = 1.0
class Parse(threading.Thread):
    """`dbt parse` in-process; keeps the Manifest (or why there is none)."""

    def __init__(self, args: argparse.Namespace):
        super().__init__(name="dbt-ahead-parse", daemon=True)
        self.args = args
        self.manifest = None
        self.problem = ""
        self.started_at = time.time()
        self.seconds = 0.0

    def run(self) -> None:
        lower_thread_priority()
        # dbt and the parsed project stay alive for the whole build (the collector would rescan
        # them again and again during it)
        with frozen_after_loading():
            self._parse()

    def _parse(self) -> None:
        try:
            from dbt.cli.main import dbtRunner

            result = dbtRunner().invoke(["parse", "--quiet", "--project-dir", self.args.project_dir,
                                         "--profiles-dir", self.args.profiles_dir,
                                         "--target-path", self.args.target_path, "--log-path", self.args.target_path])
        except Exception as exc:  # noqa: BLE001 - the build will then run plain dbt, which reports it
            self.problem = f"parse raised {type(exc).__name__}: {exc}"
            return
        self.seconds = time.time() - self.started_at
        if result.success and result.result is not None:
            self.manifest = result.result
        else:
            self.problem = f"parse failed: {result.exception or 'see dbt_ahead.log'}"


def refusal(request: dict, parse: Parse, parsed_env: dict[str, str]) -> str:
    """Why this request cannot be served with the parse at hand ('' when it can)."""
    if command_name(request.get("args", [])) not in SERVED_COMMANDS:
        return f"command {command_name(request.get('args', []))!r} is not one it runs"
    if parse.manifest is None:
        return parse.problem or "no parsed project"
    env = request.get("env", {})
    changed = [name for name in PARSE_ENV if env.get(name) != parsed_env.get(name)]
    if changed:
        return f"prepared for another {', '.join(changed)}"
    newest = newest_source_mtime(Path(parse.args.project_dir), Path(parse.args.profiles_dir))
    if newest >= parse.started_at - MTIME_MARGIN_S:
        return "a project file changed since its parse"
    return ""


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    header, fds, _flags, _addr = socket.recv_fds(conn, 8, 3)
    while len(header) < 8:
        more = conn.recv(8 - len(header))
        if not more:
            raise ConnectionError("request cut short")
        header += more
    size, body = int.from_bytes(header, "big"), b""
    while len(body) < size:
        more = conn.recv(size - len(body))
        if not more:
            raise ConnectionError("request cut short")
        body += more
    return json.loads(body), fds


def _reply(conn: socket.socket, message: dict) -> None:
    conn.sendall((json.dumps(message) + "\n").encode())


_socket_dir: Path | None = None


def _remove_socket_dir() -> None:
    if _socket_dir is not None:
        shutil.rmtree(_socket_dir, ignore_errors=True)


def _leave() -> None:
    """Exit now, without the interpreter's teardown (long with dbt loaded, and the end of the run
    would wait for it), but after multiprocessing's finalizers: dbt's adapters hold named semaphores
    (their connection locks) that would otherwise be reported as leaked."""
    import multiprocessing.util

    _remove_socket_dir()  # also after a run that was killed and could not remove it
    multiprocessing.util._run_finalizers(0)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _watch_lifeline() -> None:
    """Exit when the run that started this process closes our stdin or dies."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        _leave()


def serve(conn: socket.socket, request: dict, fds: list[int], manifest) -> int:
    """Run the request's dbt command with the parsed project on the client's streams; its exit code."""
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    sys.stdout.flush()
    sys.stderr.flush()
    for target_fd, fd in zip((0, 1, 2), fds):
        os.dup2(fd, target_fd)
        os.close(fd)
    sys.stdout.reconfigure(line_buffering=True)
    from dbt.cli.main import dbtRunner

    result = dbtRunner(manifest=manifest).invoke(request["args"])
    # The exit codes of the dbt command line: 0 ok, 1 a node failed (results), 2 dbt itself failed.
    return 0 if result.success else (2 if result.exception is not None else 1)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="dbt_ahead_server")
    ap.add_argument("--listen-fd", type=int, required=True)
    ap.add_argument("--socket", required=True)
    ap.add_argument("--project-dir", required=True)
    ap.add_argument("--profiles-dir", required=True)
    ap.add_argument("--target-path", required=True)
    args = ap.parse_args(argv)
    global _socket_dir
    _socket_dir = Path(args.socket).parent

    threading.Thread(target=_watch_lifeline, name="lifeline", daemon=True).start()
    listener = socket.socket(fileno=args.listen_fd)
    parsed_env = {name: os.environ.get(name) for name in PARSE_ENV}
    parse = Parse(args)
    parse.start()

    conn, _ = listener.accept()
    listener.close()
    _remove_socket_dir()  # it serves this one client: no one else needs to find it
    request, fds = _receive(conn)
    asked_at = time.time()
    parse.join()
    waited = time.time() - asked_at
    why_not = refusal(request, parse, parsed_env)
    if why_not:
        _reply(conn, {"served": False, "reason": why_not})
        print(f"dbt-ahead: not serving {request.get('args')}: {why_not}", flush=True)
        _leave()
    print(f"dbt-ahead: import and parse took {parse.seconds:.1f} s; serving {request['args']} "
          f"{asked_at - parse.started_at:.1f} s after start (waited {waited:.1f} s for the parse)", flush=True)
    _reply(conn, {"served": True, "pid": os.getpid()})
    try:
        code = serve(conn, request, fds, parse.manifest)
    except BaseException as exc:  # noqa: BLE001 - the client must get an exit code, not silence
        print(f"dbt-ahead: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 2
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    _reply(conn, {"exit": code})
    conn.close()
    _leave()


if __name__ == "__main__":
    main()
