"""The one disk-cache policy of coopmap: a byte budget, least-recently-used eviction, atomic entries.

Downloads (``webmap.downloads``) and rendered snapshots (``geo.render.cache``) keep files that are
pure functions of their key (data version of the caller's view, the view, the parameters), so any
entry can be dropped at any time and rebuilt on the next request. A ``DiskCache`` is a folder:

- every entry is written to a temporary file and renamed into place (a reader sees all or nothing);
- a hit touches the entry's modification time, which is its last use: eviction unlinks the least
  recently used entries until the folder holds at most ``max_bytes``;
- all the state is in the folder (names, sizes, modification times), so several worker processes
  share it without any in-process bookkeeping; two processes evicting at once only unlink twice;
- an entry is served from a file opened BEFORE anything may unlink it: on POSIX an unlinked open
  file stays readable, so eviction never breaks a response that is streaming it;
- an entry smaller than ``min_bytes`` is cheaper to rebuild than to keep: it is served from its
  open temporary file and never stored;
- files are created 0600 and the folder 0700 (entries may hold restricted fields).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600
FOLDER_MODE = 0o700
TEMP_PREFIX = ".tmp-"
STALE_TEMP_SECONDS = 3600
"""A temporary file older than this was left by a process that died while writing: eviction removes it."""


@dataclass(frozen=True)
class Entry:
    """One stored entry, as eviction sees it."""

    path: Path
    size: int
    used: int
    """Last use, in nanoseconds (the modification time, touched on every hit)."""


@dataclass(frozen=True)
class DiskCache:
    """A folder of cached files holding at most ``max_bytes``.

    Parameters
    ----------
    folder : where the entries live (created 0700 on the first write)
    max_bytes : the byte budget; 0 disables the cache (every entry is served once and dropped)
    min_bytes : entries smaller than this are not stored (cheaper to rebuild than to keep)

    Examples
    --------
    >>> cache = DiskCache(tmp_path / "snapshots", 128 * 2**20)  # doctest: +SKIP
    >>> cache.read_bytes("v1-sahel.png") or cache.put_bytes("v1-sahel.png", render())  # doctest: +SKIP
    """

    folder: Path
    max_bytes: int
    min_bytes: int = 0

    def path(self, name: str) -> Path:
        """Where the entry ``name`` lives (it may not exist)."""
        if not name or "/" in name or name.startswith(".") or name != Path(name).name:
            raise ValueError(f"name={name!r}: an entry name is a plain file name")
        return self.folder / name

    def open(self, name: str) -> BinaryIO | None:
        """The entry ``name`` opened for reading and marked used, or None when absent.

        The caller reads (streams) from the returned file and closes it; eviction may unlink the
        entry meanwhile without affecting the open file.
        """
        path = self.path(name)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - the caller streams from it and closes it
        except FileNotFoundError:
            return None
        _mark_used(path)
        return handle

    def read_bytes(self, name: str) -> bytes | None:
        """The content of the entry ``name`` (marked used), or None when absent."""
        handle = self.open(name)
        if handle is None:
            return None
        with handle:
            return handle.read()

    def fill(self, name: str, write: Callable[[Path], None]) -> BinaryIO:
        """Build the entry ``name`` with ``write(path)`` and return it opened for reading.

        ``write`` writes the whole file at the path it is given (a temporary file with the entry's
        suffix). The file is stored under ``name`` (atomic rename, then eviction to the budget)
        unless it is smaller than ``min_bytes`` or larger than the budget; either way the returned
        file reads the complete content, and the caller closes it.
        """
        with self._temporary(name) as tmp:
            write(tmp)
            handle = open(tmp, "rb")  # noqa: SIM115 - returned to the caller, who closes it
            try:
                os.chmod(tmp, FILE_MODE)
                size = os.fstat(handle.fileno()).st_size
                if self.min_bytes <= size <= self.max_bytes:
                    os.replace(tmp, self.path(name))
                    _mark_used(self.path(name))
                    self.evict()
            except BaseException:
                handle.close()
                raise
        return handle

    def put_bytes(self, name: str, data: bytes) -> None:
        """Store ``data`` as the entry ``name`` (unless smaller than ``min_bytes`` or over the budget)."""
        if not self.min_bytes <= len(data) <= self.max_bytes:
            return
        with self._temporary(name) as tmp:
            tmp.write_bytes(data)
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, self.path(name))
            _mark_used(self.path(name))
        self.evict()

    def bytes_or_make(self, name: str, make: Callable[[], bytes]) -> tuple[bytes, bool]:
        """The entry ``name``'s bytes and True when it was cached; else ``make()``'s bytes, stored
        (``put_bytes``), and False."""
        cached = self.read_bytes(name)
        if cached is not None:
            return cached, True
        data = make()
        self.put_bytes(name, data)
        return data, False

    def entries(self) -> list[Entry]:
        """The stored entries (temporary files excluded), least recently used first.

        Files in sub-folders count too (and go first when older), so a layout left by an earlier
        version of the cache is evicted like the rest.
        """
        found = []
        for root, _, names in os.walk(self.folder):
            for name in names:
                if name.startswith(TEMP_PREFIX):
                    continue
                path = Path(root) / name
                try:
                    stat = path.lstat()
                except FileNotFoundError:  # evicted by another process meanwhile
                    continue
                found.append(Entry(path, stat.st_size, stat.st_mtime_ns))
        return sorted(found, key=lambda entry: (entry.used, entry.path.name))

    def total_bytes(self) -> int:
        """The bytes held by the stored entries."""
        return sum(entry.size for entry in self.entries())

    def evict(self) -> int:
        """Unlink the least recently used entries until the folder holds at most ``max_bytes``
        (and temporary files abandoned by dead processes); return the number of bytes freed."""
        entries = self.entries()
        total = sum(entry.size for entry in entries)
        freed = 0
        for entry in entries:
            if total <= self.max_bytes:
                break
            entry.path.unlink(missing_ok=True)  # a response streaming it keeps its open file
            total -= entry.size
            freed += entry.size
        self._drop_stale_temporaries()
        return freed

    @contextlib.contextmanager
    def _temporary(self, name: str) -> Iterator[Path]:
        """A private temporary path in the folder (same suffix as ``name``), removed on exit."""
        target = self.path(name)
        self.folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        os.chmod(self.folder, FOLDER_MODE)
        fd, raw = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{target.stem}-", suffix=target.suffix, dir=self.folder)
        os.close(fd)
        tmp = Path(raw)
        os.chmod(tmp, FILE_MODE)
        tmp.unlink()  # writers (GDAL) create the file themselves; the name stays ours
        try:
            yield tmp
        finally:
            tmp.unlink(missing_ok=True)

    def _drop_stale_temporaries(self) -> None:
        limit = time.time() - STALE_TEMP_SECONDS
        with contextlib.suppress(FileNotFoundError):
            for item in os.scandir(self.folder):
                if item.name.startswith(TEMP_PREFIX):
                    with contextlib.suppress(FileNotFoundError):
                        if item.stat(follow_symlinks=False).st_mtime < limit:
                            os.unlink(item.path)


def _mark_used(path: Path) -> None:
    """Record a use of ``path`` as its modification time (the precise clock, not the file system's
    coarse one, so uses milliseconds apart keep their order); a file evicted meanwhile is ignored."""
    now = time.time_ns()
    with contextlib.suppress(FileNotFoundError):
        os.utime(path, ns=(now, now))
