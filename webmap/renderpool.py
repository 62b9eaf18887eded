"""A bounded pool of render processes, with per-client and queue limits shared by every worker.

Matplotlib is not thread-safe, and one render of a 4000×4000 map takes a CPU for seconds: renders
run in a ``ProcessPoolExecutor`` (``forkserver`` context, never ``fork`` from a threaded server),
created lazily in each server process (gunicorn worker) on its first render, stopped when idle and
at exit. The pool is generic::

    result = render_pool(app).run(function, *args, client="ip:10.0.0.7")

where ``function`` and ``args`` are picklable (a module-level function; a worker opens what it
needs, e.g. the store, from ``Settings``: live connections are never pickled).

Admission is decided before the work is queued, with slots that every app process of the server
shares (``flock``-ed files under ``$COOPMAP_HOME/run/render``; the kernel frees a dead process's
locks): at most ``per_client`` renders per client (token name or address) else
:class:`TooManyRenders` (429), at most ``queue`` requests waiting for one of the ``workers`` render
slots else :class:`RenderPoolBusy` (503). Both answer JSON with ``Retry-After``. A heavy render
(``heavy=True``: the caller decides, e.g. by pixel count) also needs one of ``workers - 1`` heavy
slots, so one render slot is always left to the small ones: a flood of large renders from many
addresses cannot make a small snapshot wait for them.

Options (Flask config, else the environment, else the default):

``COOPMAP_RENDER_WORKERS``
    concurrent renders on the server (default: the CPU count)
``COOPMAP_RENDER_PER_CLIENT``
    concurrent renders per client (default 1)
``COOPMAP_RENDER_QUEUE``
    requests waiting for a render slot (default 2 × workers)
``COOPMAP_RENDER_WAIT``
    seconds a queued request waits for a slot before a 503 (default 30)
``COOPMAP_RENDER_HEAVY_PIXELS``
    a snapshot of more pixels (width × height) is a heavy render (default 2,000,000)
``COOPMAP_RENDER_IDLE``
    seconds without a render after which an app process stops its render processes, giving their
    memory back (default 120; 0: never)

Memory: each OS process (gunicorn worker) that renders holds a forkserver and up to ``workers``
render processes (about 300 MB RSS each with the default data) while busy, none once idle; the
apps of one process share them (tests build many apps).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from flask import Flask, Response, jsonify

from geo.errors import CoopmapError, InvalidParameter

T = TypeVar("T")

CLIENT_BUCKETS = 4096
"""Clients and keys are hashed into this many lock-file groups: the slot files stay bounded in number."""
POLL_SECONDS = 0.02
PRELOAD = ["webmap.snapshots", "webmap.briefs"]
"""Modules the forkserver imports once, so a new render process starts in milliseconds."""


@dataclass(frozen=True)
class PoolOptions:
    """What an operator may change about the render pool."""

    workers: int
    per_client: int = 1
    queue: int = 0
    wait: float = 30.0
    heavy_pixels: int = 2_000_000
    idle: float = 120.0

    @property
    def queue_size(self) -> int:
        return self.queue or 2 * self.workers

    @property
    def heavy_workers(self) -> int:
        """Heavy renders at once: one slot is kept for the small ones when there are two or more."""
        return max(1, self.workers - 1)


class RenderRefused(CoopmapError):
    """A render not admitted: answered as JSON with a ``Retry-After`` header."""

    retry_after = 5

    def __init__(self, description: str) -> None:
        super().__init__(description)


class TooManyRenders(RenderRefused):
    status = 429
    code = "TooManyRequests"
    retry_after = 5


class RenderPoolBusy(RenderRefused):
    status = 503
    code = "ServiceUnavailable"
    retry_after = 10


def pool_options(config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> PoolOptions:
    """Read and validate the pool options; a bad value raises ``InvalidParameter`` naming it."""
    env = os.environ if environ is None else environ

    def number(name: str, default: float, low: float, high: float, kind: type = int) -> Any:
        raw = config.get(name) if config.get(name) is not None else env.get(name)
        if raw is None or raw == "":
            return kind(default)
        try:
            value = kind(raw)
        except (TypeError, ValueError):
            raise InvalidParameter(name, raw, f"use a number from {low:g} to {high:g}") from None
        if not low <= value <= high:
            raise InvalidParameter(name, raw, f"use a number from {low:g} to {high:g}")
        return value

    workers = number("COOPMAP_RENDER_WORKERS", max(1, os.cpu_count() or 1), 1, 64)
    return PoolOptions(
        workers=workers,
        per_client=number("COOPMAP_RENDER_PER_CLIENT", 1, 1, 64),
        queue=number("COOPMAP_RENDER_QUEUE", 2 * workers, 0, 1024),
        wait=number("COOPMAP_RENDER_WAIT", 30.0, 0.0, 600.0, float),
        heavy_pixels=number("COOPMAP_RENDER_HEAVY_PIXELS", 2_000_000, 1, 10**9),
        idle=number("COOPMAP_RENDER_IDLE", 120.0, 0.0, 86400.0, float),
    )


class _Slots:
    """``count`` slots named ``name`` under ``directory``: a slot is an exclusive ``flock``."""

    def __init__(self, directory: Path, name: str, count: int) -> None:
        self.paths = [directory / f"{name}.{i}" for i in range(count)]

    def try_take(self) -> IO[bytes] | None:
        """A held slot (close it to give it back), or ``None`` when all are taken."""
        for path in self.paths:
            handle = open(path, "ab")  # noqa: SIM115 - held until the slot is given back
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            return handle
        return None


def _take_all(groups: list[_Slots]) -> list[IO[bytes]] | None:
    """One slot of each group, or none at all."""
    held: list[IO[bytes]] = []
    for group in groups:
        handle = group.try_take()
        if handle is None:
            for taken in held:
                taken.close()
            return None
        held.append(handle)
    return held


def _poll(groups: list[_Slots], seconds: float) -> list[IO[bytes]] | None:
    """One slot of each group, waiting up to ``seconds`` for them."""
    deadline = time.monotonic() + seconds
    while True:
        held = _take_all(groups)
        if held is not None or time.monotonic() >= deadline:
            return held
        time.sleep(POLL_SECONDS)


def _bucket(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big") % CLIENT_BUCKETS


class RenderPool:
    """Admission (per client, key, queue) for one app, and its renders in this process's render processes."""

    def __init__(self, options: PoolOptions, run_dir: Path) -> None:
        self.options = options
        self.run_dir = run_dir

    def run(self, function: Callable[..., T], *args: Any, client: str, heavy: bool = False) -> T:
        """``function(*args)`` in a render process, once ``client`` is admitted.

        ``heavy`` renders also need a heavy slot (one render slot is kept for the others).

        Raises
        ------
        TooManyRenders
            ``client`` already has ``per_client`` renders running or waiting (429).
        RenderPoolBusy
            the queue is full, the wait for a slot timed out, or a render process died (503).
        """
        with self.admitted(client, heavy):
            return self._submit(function, *args)

    @contextlib.contextmanager
    def single_flight(self, key: str) -> Iterator[bool]:
        """Hold the lock of ``key`` (e.g. a cache key) for the body; yield whether another holder
        was waited for (then the result is probably in the cache now).

        At most ``queue`` requests wait per key (else :class:`RenderPoolBusy`): many identical
        requests make one render, not one each, and hold a bounded number of server threads.
        """
        self.run_dir.mkdir(parents=True, exist_ok=True)
        bucket = _bucket(key)
        lock = _Slots(self.run_dir, f"key-{bucket}", 1)
        held = _take_all([lock])
        waited = held is None
        if held is None:
            held = self._wait_for([lock], f"keywait-{bucket}")
        try:
            yield waited
        finally:
            for handle in held:
                handle.close()

    @contextlib.contextmanager
    def admitted(self, client: str, heavy: bool = False) -> Iterator[None]:
        """Hold a client slot and a render slot for the body (the queue slot while waiting)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        mine = _Slots(self.run_dir, f"client-{_bucket(client)}", self.options.per_client).try_take()
        if mine is None:
            raise TooManyRenders(
                f"too many snapshot renders at once for this client (at most {self.options.per_client}); retry later")
        try:
            with self._render_slot(heavy):
                yield
        finally:
            mine.close()

    @contextlib.contextmanager
    def _render_slot(self, heavy: bool) -> Iterator[None]:
        groups = [_Slots(self.run_dir, "render", self.options.workers)]
        if heavy:
            groups.insert(0, _Slots(self.run_dir, "heavy", self.options.heavy_workers))
        held = _take_all(groups) or self._wait_for(groups, "queue")
        try:
            yield
        finally:
            for handle in held:
                handle.close()

    def _wait_for(self, groups: list[_Slots], queue: str) -> list[IO[bytes]]:
        """One slot of each group, waiting with a ticket of ``queue`` (at most ``queue_size``)."""
        ticket = _Slots(self.run_dir, queue, self.options.queue_size).try_take()
        if ticket is None:
            raise RenderPoolBusy("the snapshot renderer is busy (queue full); retry later")
        try:
            held = _poll(groups, self.options.wait)
        finally:
            ticket.close()
        if held is None:
            raise RenderPoolBusy("the snapshot renderer is busy (waited too long); retry later")
        return held

    def _submit(self, function: Callable[..., T], *args: Any) -> T:
        return _shared(self.options).submit(function, *args)

    def shutdown(self) -> None:
        """Stop the render processes of this process (waits for the running renders)."""
        _shared(self.options).shutdown()


class _Processes:
    """The render processes of one OS process: created on first use, stopped when idle or at exit.

    Shared by every app of the process with the same size (one in production; many in tests).
    """

    def __init__(self, workers: int, idle: float) -> None:
        self.workers = workers
        self.idle = idle
        self._executor: ProcessPoolExecutor | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._busy = 0
        self._last_used = time.monotonic()

    def submit(self, function: Callable[..., T], *args: Any) -> T:
        with self._lock:
            executor = self._ensure()
            self._busy += 1
        try:
            return executor.submit(function, *args).result()
        except BrokenProcessPool:
            with self._lock:
                if self._executor is executor:
                    self._executor = None
            executor.shutdown(wait=False, cancel_futures=True)
            raise RenderPoolBusy("a snapshot render process stopped; retry later") from None
        finally:
            with self._lock:
                self._busy -= 1
                self._last_used = time.monotonic()

    def _ensure(self) -> ProcessPoolExecutor:
        """The executor (with the lock held)."""
        if self._executor is None or self._pid != os.getpid():
            # an executor inherited through fork (gunicorn) is not ours: make a new one
            self._executor = ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=_lower_priority)
            self._pid = os.getpid()
            if self.idle > 0:
                threading.Thread(target=self._reap_when_idle, args=(self._executor,), daemon=True,
                                 name="coopmap-render-reaper").start()
        return self._executor

    def _reap_when_idle(self, executor: ProcessPoolExecutor) -> None:
        """Stop ``executor``'s processes once no render ran for ``idle`` seconds (a daemon thread)."""
        while True:
            time.sleep(min(self.idle, 5.0))
            with self._lock:
                if self._executor is not executor:
                    return
                if self._busy == 0 and time.monotonic() - self._last_used >= self.idle:
                    self._executor = None
                    break
        executor.shutdown(wait=True)

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
            owned = self._pid == os.getpid()
        if executor is not None and owned:
            executor.shutdown(wait=True, cancel_futures=True)


_SHARED: dict[tuple[int, float], _Processes] = {}
_SHARED_LOCK = threading.Lock()


def _shared(options: PoolOptions) -> _Processes:
    with _SHARED_LOCK:
        found = _SHARED.get((options.workers, options.idle))
        if found is None:
            found = _SHARED[(options.workers, options.idle)] = _Processes(options.workers, options.idle)
        return found


@atexit.register
def _shutdown_all() -> None:
    for processes in list(_SHARED.values()):
        processes.shutdown()


RENDER_NICENESS = 10
"""Render processes run this much below the web workers' CPU priority: on a busy server the
requests that only read and serve (pages, API items, cache hits) get the CPU first."""


def _lower_priority() -> None:
    """Initializer of each render process."""
    os.nice(RENDER_NICENESS)


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def init_render_pool(app: Flask, run_dir: Path) -> RenderPool:
    """Attach a (not yet started) render pool to ``app`` and answer its refusals with Retry-After."""
    pool = RenderPool(pool_options(app.config), run_dir)
    app.extensions["coopmap.render_pool"] = pool

    @app.errorhandler(RenderRefused)
    def _refused(exc: RenderRefused) -> Response:
        response = jsonify({"code": exc.code, "description": exc.description, "retry_after": exc.retry_after})
        response.status_code = exc.status
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    return pool


def render_pool(app: Flask) -> RenderPool:
    """The render pool of ``app``."""
    return app.extensions["coopmap.render_pool"]
