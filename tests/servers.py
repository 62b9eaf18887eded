"""Real ``coopmap serve`` processes for the several-servers tests: one home and port each."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import requests

from geo.config import REPO_ROOT

START_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``coopmap serve`` (gunicorn) on a free port with its own ``COOPMAP_HOME``."""

    def __init__(self, home: Path, env: Mapping[str, str], workers: int = 1) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home.parent / f"{home.name}.log"
        home.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, **env, "COOPMAP_HOME": str(home)}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", "serve", "--port", str(self.port), "--workers", str(workers),
                 "--threads", "4"],
                cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def wait_ready(self) -> Server:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if requests.get(self.url + "/health", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server on {self.url} not ready in {START_SECONDS} s: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole server (gunicorn's arbiter and workers)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def coopmap(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run one ``coopmap`` command with ``env`` (checked; output captured)."""
    done = subprocess.run([sys.executable, "-m", "cli", *args], cwd=REPO_ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"coopmap {' '.join(args)} exited {done.returncode}: {done.stdout}{done.stderr}"
    return done
