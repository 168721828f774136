"""Runs of a crawl and the reconciliation of their pending notices.

A notice the dedup stage calls new is stored *pending*, in the current run
(:meth:`gazette.state.base.State.begin_run`); the run lists the export files
it writes (:meth:`~gazette.state.base.State.add_export`). The notice becomes
*exported* once its line is written and flushed. When a later run begins,
every pending notice of an earlier run that is over (ended, or its process is
gone) is looked up in that run's export files: found, it is marked exported;
not found (the run was killed before the line was written), it is rolled
back with everything attached to it, so its page is fetched and exported
again. This module holds what the backends share: who owns a run (and
whether that process still lives) and the scan of export files.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import socket
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

#: ``"id": "<value>"`` anywhere in a line: a cheap pre-filter before json.loads
_ID = re.compile(rb'"id"\s*:\s*"([^"\\]+)"')
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class RunInfo:
    """A run recorded in a state: who ran it and which export files it wrote."""

    id: str
    owner: str = ""
    exports: list[str] = field(default_factory=list)
    ended: bool = False


@dataclass
class Reconciled:
    """What :meth:`gazette.state.base.State.reconcile` did."""

    runs: int = 0  # earlier runs settled
    exported: int = 0  # pending notices found in their export: now exported
    rolled_back: int = 0  # pending notices not found: forgotten
    live: int = 0  # runs skipped because their process still runs
    cut: int = 0  # export files of killed runs whose partial last line was cut

    def __bool__(self) -> bool:
        return bool(self.runs or self.exported or self.rolled_back or self.live)


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str | None:
    """The start time (clock ticks since boot) of process ``pid``, or None (no /proc)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    try:
        return data[data.rindex(b")") + 2 :].split()[19].decode("ascii")
    except (ValueError, IndexError):
        return None


def owner_token() -> str:
    """Who runs the current process: host, boot, pid and its start time (JSON)."""
    pid = os.getpid()
    return json.dumps(
        {
            "host": socket.gethostname(),
            "boot": _boot_id(),
            "pid": pid,
            "start": _start_time(pid),
        },
        sort_keys=True,
    )


def owner_alive(token: str) -> bool:
    """True when the process behind ``token`` may still be running a crawl.

    Another host's process cannot be checked (nor its export files read): it
    counts as alive. A run of the current process that is not the caller's
    own run is over (a state opened again in the same process).
    """
    try:
        owner: dict[str, Any] = json.loads(token) if token else {}
    except ValueError:
        return False
    if not isinstance(owner, dict) or not owner.get("pid"):
        return False
    if owner.get("host") != socket.gethostname():
        return True
    boot = _boot_id()
    if boot and owner.get("boot") and owner["boot"] != boot:
        return False  # rebooted since
    pid = int(owner["pid"])
    if pid == os.getpid():
        return False
    start = _start_time(pid)
    if start is not None:
        return owner.get("start") in (None, start)
    if os.path.isdir("/proc"):
        return False  # /proc without this pid: gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _lines(path: str) -> Iterable[bytes]:
    """The lines of a JSON-lines export (plain or gzip), stopping quietly where a
    killed run cut it short (partial last line, gzip stream without its end)."""
    with open(path, "rb") as raw:
        gz = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        stream: Any = gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw
        n = 0
        while True:
            try:
                line = stream.readline()
            except (EOFError, OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
                logger.info("%s: stream ends early after line %d (%s)", path, n, exc)
                return
            if not line:
                return
            n += 1
            yield line


def cut_partial_tail(path: str) -> int:
    """Cut the partial last line a killed run left in the plain export ``path``.

    A SIGKILL can land inside the ``write`` of a batch of lines (the kernel
    stops a write to a file between pages when a fatal signal is pending), so
    a killed run's file can end with part of a line. The notices of that line
    are rolled back and exported again by the next run; the fragment is cut
    so that the file holds whole lines only (and a later run appending to the
    same file does not glue its first line onto it). Returns the bytes cut;
    gzip files, missing files and files that end with a newline are left as
    they are.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "e.jsonl")
    >>> _ = open(p, "wb").write(b'{"id": "a"}\\n{"id": "b", "x')
    >>> cut_partial_tail(p), open(p, "rb").read()
    (14, b'{"id": "a"}\\n')
    >>> cut_partial_tail(p)
    0
    """
    try:
        with open(path, "r+b") as f:
            size = f.seek(0, os.SEEK_END)
            if size == 0:
                return 0
            f.seek(0)
            if f.read(2) == _GZIP_MAGIC:
                return 0
            f.seek(size - 1)
            if f.read(1) == b"\n":
                return 0
            end = size
            keep = 0
            while end > 0:
                start = max(0, end - 65536)
                f.seek(start)
                chunk = f.read(end - start)
                nl = chunk.rfind(b"\n")
                if nl >= 0:
                    keep = start + nl + 1
                    break
                end = start
            f.truncate(keep)
    except FileNotFoundError:
        return 0
    except OSError as exc:
        logger.warning("%s: cannot cut its partial last line (%s)", path, exc)
        return 0
    logger.warning("%s: cut a partial last line of %d bytes (a killed run)", path, size - keep)
    return size - keep


def find_ids(paths: Iterable[str], ids: Iterable[str]) -> set[str]:
    """The ``ids`` that are the ``id`` of a whole record in one of the files ``paths``.

    Missing files count as empty; a line that is not a whole JSON object (the
    partial last line of a killed run) does not count.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "e.jsonl")
    >>> _ = open(p, "w").write('{"id": "a", "x": 1}\\n{"id": "b", "x"')
    >>> sorted(find_ids([p, os.path.join(d, "missing.jsonl")], ["a", "b", "c"]))
    ['a']
    """
    wanted = set(ids)
    found: set[str] = set()
    for path in dict.fromkeys(paths):
        if not wanted - found:
            break
        if not os.path.isfile(path):
            continue
        try:
            for line in _lines(path):
                if not any(m.decode("utf-8", "replace") in wanted for m in _ID.findall(line)):
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and record.get("id") in wanted:
                    found.add(str(record["id"]))
        except OSError as exc:
            logger.warning("%s: cannot read export (%s)", path, exc)
    return found
