"""Follow the database's data version without polling: LISTEN for the manifest's notifications.

Migration 0004 makes every change of ``coopmap.manifest`` notify ``coopmap_data_version`` at commit.
A ``VersionWatch`` holds one connection that listens on that channel, from a daemon thread, and
counts what it hears in ``generation``. A store may keep its manifest in memory while the watch is
``listening`` and the generation has not moved; a lost connection also moves it (what happened
meanwhile is unknown), and while the watch is not listening nothing may be cached.
"""

from __future__ import annotations

import logging
import threading

import psycopg

CHANNEL = "coopmap_data_version"
RETRY_S = 1.0
"""Seconds between attempts to listen again after the connection was lost."""
POLL_S = 1.0
"""How often the listening thread wakes to see whether it was stopped."""

log = logging.getLogger(__name__)


class VersionWatch:
    """A thread listening for data-version notifications on its own connection to ``url``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.generation = 0
        self.listening = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="coopmap-version-watch", daemon=True)
        self._thread.start()

    def _moved(self) -> None:
        self.generation += 1  # one writer: this thread (readers only compare)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5,
                                     application_name="coopmap-version-watch") as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._moved()  # whatever changed before LISTEN took effect
                    self.listening = True
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=POLL_S):
                            self._moved()
            except Exception as exc:  # noqa: BLE001  (any failure: stop caching, listen again)
                if self.listening:
                    log.warning("stopped listening for data-version changes (%s); caching off until it resumes",
                                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
            finally:
                self.listening = False
                self._moved()
            self._stop.wait(RETRY_S)

    def stop(self) -> None:
        """End the thread (and its connection) within ``POLL_S``."""
        self._stop.set()
