"""A private Redis for the tests: Debian's ``redis-server`` on a free loopback port, in a temp dir.

No persistence, no system service; ``stop`` ends it and removes its directory (``atexit`` is the
fallback). ``scripts/test.sh`` installs ``redis-server`` with its system service kept from starting.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REDIS_SERVER = Path(os.environ.get("COOPMAP_REDIS_SERVER", "/usr/bin/redis-server"))


def require_redis() -> None:
    """Skip the calling test (fail it in CI) when redis-server is absent."""
    if REDIS_SERVER.exists():
        return
    reason = f"{REDIS_SERVER} is missing (install Debian's redis-server; scripts/test.sh does)"
    if os.environ.get("CI"):
        pytest.fail(f"Redis tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """One throw-away Redis server; ``url`` connects to it. ``stop``/``start`` may be called again
    (the fault tests stop it and start it on the same port)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="coopmap-redis-"))
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen | None = None
        atexit.register(self.close)

    def start(self) -> PrivateRedis:
        self._process = subprocess.Popen(
            [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.root), "--logfile", str(self.root / "redis.log"), "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.root,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)
        self._process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
