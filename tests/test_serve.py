"""``coopmap serve`` runs gunicorn by default, builds a fresh workspace once, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from geo.config import REPO_ROOT

START_SECONDS = 180
"""Building the default workspace on a busy 2-CPU machine, then starting the workers."""
STOP_SECONDS = 15
"""gunicorn's graceful timeout is 10 s; idle workers stop at once."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[str]:
    """The command lines of the direct children of ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


@pytest.mark.parametrize("options, workers", [([], 2), (["--production"], 1)])
def test_serve_runs_gunicorn_on_a_fresh_home_and_stops_on_sigterm(tmp_path: Path, options: list[str], workers: int):
    # --production, the old switch, is still accepted and changes nothing
    home = tmp_path / "empty-home"
    port = _free_port()
    env = {**os.environ, "COOPMAP_HOME": str(home), "COOPMAP_DEMO_EVENTS": "2000"}
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", *options, "--port", str(port), "--workers", str(workers)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
                    status, software = response.status, response.headers.get("Server", "")
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.5)
        assert status == 200
        assert "gunicorn" in software
        # all forked from the one master (gunicorn forks them one after the other: the first may
        # answer before the last is up)
        while len(_children(server.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_children(server.pid)) == workers
        assert any(home.iterdir())
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=STOP_SECONDS) == 0
        assert time.monotonic() - started < STOP_SECONDS
        output = server.stdout.read() if server.stdout else ""
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if server.stdout:
            server.stdout.close()
    # the workspace was built once, in the master, before the workers started
    assert output.count("coopmap serving") == 1
    assert "development server" not in output.lower()
    assert "Shutting down: Master" in output
    # the layers were prepared in the master before gunicorn bound the port and forked
    warmed = output.index("warmed /ogc/collections/conflict-events/items?limit=1 as public (200)")
    assert warmed < output.index("Listening at")


def test_dev_and_production_exclude_each_other(runner):
    from cli.main import main

    result = runner.invoke(main, ["serve", "--dev", "--production"])
    assert result.exit_code == 2
    assert "--dev and --production" in result.output
