"""One run launched through the Dagster instance, as the UI's Launchpad (or a schedule's tick)
launches it: `dagster dev` (webserver, daemon, and the code location in a gRPC code server) on the
warehouse's instance; the run is submitted over the webserver's GraphQL API; the instance's run
queue, the daemon's DefaultRunLauncher and a run worker process (`dagster api execute_run`) do the
rest. The figure is the run's own record: from its creation (the submit) to its end.

Starting `dagster dev` and waiting until the code location has loaded and the daemon is healthy is
not timed: a deployment keeps them running.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import httpx

READY_TIMEOUT_S = 300
RUN_TIMEOUT_S = 1800
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
STATUS_QUERY = """query($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run { status creationTime
  startTime endTime } ... on PythonError { message } } }"""
READY_QUERY = """{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } }
  instance { daemonHealth { allDaemonStatuses { daemonType healthy } } } }"""


@dataclass
class LaunchedRun:
    wall_s: float | None  # creation -> end, from the run's record
    status: str
    run_id: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DagsterDev:
    """`dagster dev` for the instance in env["DAGSTER_HOME"], stopped on exit (its whole process group)."""

    def __init__(self, dagster: str, cwd: Path, env: dict, log: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        self._log = open(log, "w")  # noqa: SIM115 - closed in __exit__, after the process
        self.process = subprocess.Popen([dagster, "dev", "-h", "127.0.0.1", "-p", str(self.port)], cwd=cwd, env=env,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def __enter__(self) -> Self:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dagster dev exited ({self.process.returncode}); see {self._log.name}")
            if self._ready():
                return self
            time.sleep(1)
        raise TimeoutError(f"dagster dev not ready after {READY_TIMEOUT_S} s; see {self._log.name}")

    def __exit__(self, *exc) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass
        self._log.close()

    def query(self, query: str, variables: dict | None = None) -> dict:
        response = httpx.post(self.url, json={"query": query, "variables": variables or {}}, timeout=60)
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def _ready(self) -> bool:
        try:
            data = self.query(READY_QUERY)
        except (httpx.HTTPError, RuntimeError):
            return False
        entries = data["workspaceOrError"].get("locationEntries") or []
        errors = [e["locationOrLoadError"].get("message") for e in entries
                  if (e.get("locationOrLoadError") or {}).get("__typename") == "PythonError"]
        if errors:
            raise RuntimeError(f"the code location failed to load: {errors[0]}")
        daemons = {d["daemonType"]: d["healthy"] for d in data["instance"]["daemonHealth"]["allDaemonStatuses"]}
        return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries) and \
            daemons.get("QUEUED_RUN_COORDINATOR") is True

    def launch_and_wait(self, job_name: str, run_config: dict, tags: dict[str, str]) -> LaunchedRun:
        from dagster_graphql import DagsterGraphQLClient

        client = DagsterGraphQLClient("127.0.0.1", port_number=self.port)
        run_id = client.submit_job_execution(job_name, run_config=run_config, tags=tags)
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while time.monotonic() < deadline:
            run = self.query(STATUS_QUERY, {"runId": run_id})["runOrError"]
            if run.get("status") in FINISHED:
                wall = run["endTime"] - run["creationTime"] if run.get("endTime") else None
                return LaunchedRun(wall, run["status"], run_id)
            time.sleep(0.5)
        return LaunchedRun(None, "TIMEOUT", run_id)
