"""Body hashing in a helper process: dedup's CPU-heavy part beside the crawl.

A Scrapy crawl runs on one thread: downloads, parsing, extraction and the item
pipelines share one core. The dedup stage's pure computation (canonical body,
its hash, MinHash signature and LSH band keys, :func:`gazette.dedup.rules.body_prints`)
costs about as much as the rest of the item pipeline together, and needs no
state, so :class:`HashingWorker` runs it in a child process on another core;
the decisions and every state write stay in the crawl's process, in item order.

The child is a plain ``python -m gazette.dedup.hashing`` subprocess (no
``multiprocessing``: nothing of the parent's ``__main__`` is run again) that
reads length-prefixed pickled bodies on stdin and writes their prints, in the
same order, on stdout. The crawl's event loop reads them (no extra thread).

* It starts after ``GAZETTE_HASHING_AFTER`` items (:data:`START_AFTER`: a
  small crawl never pays for it) and is used once it has answered; items
  meanwhile are hashed in-process. With 0 it starts with the first item,
  and items wait for it.
* It ignores SIGINT and SIGTERM (a Ctrl-C or a service stop reaches the
  whole process group; the crawl finishes its items in flight first) and
  exits when its stdin closes, also when the crawl is killed.
* If it fails (killed, broken pipe, an error), the items waiting for it and
  every later item are hashed in-process; ``gazette/hashing/failed`` is set
  and one warning is logged. Nothing is lost: the prints are the same.
* ``GAZETTE_HASHING_HELPER`` (``settings.py``): ``0`` (the default) never
  uses it; ``auto`` uses it on a machine with more than one CPU; ``1`` always.
  Off by default: on a crawl of a remote-like site (``benchmarks/crawl.py
  --latency 0.1``) it bought nothing (3,722 pages/min against 3,929 in-process,
  medians of 3 rounds); it pays only on CPU-bound crawls of a local mirror.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import pickle
import struct
import sys
from typing import Any

from gazette.dedup.rules import BodyPrints, MinHasher, body_prints

logger = logging.getLogger(__name__)

#: items hashed in the crawl's process before the helper is started
START_AFTER = 50
_LEN = struct.Struct("<I")


def helper_wanted(setting: Any) -> bool:
    """Read ``GAZETTE_HASHING_HELPER``: ``auto`` is on when another CPU is there.

    >>> helper_wanted("0"), helper_wanted(1), helper_wanted("auto") == ((os.cpu_count() or 1) > 1)
    (False, True, True)
    >>> helper_wanted("sometimes")
    Traceback (most recent call last):
    ...
    ValueError: GAZETTE_HASHING_HELPER must be auto, 1 or 0, not 'sometimes'
    """
    value = str(setting).strip().lower() if setting is not None else "auto"
    if value in ("", "auto"):
        return (os.cpu_count() or 1) > 1
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"GAZETTE_HASHING_HELPER must be auto, 1 or 0, not {setting!r}")


def helper_env() -> dict[str, str]:
    """The helper's environment: this one, with this process's ``sys.path`` as
    ``PYTHONPATH`` (scrapyd runs the project from an egg that is only on ``sys.path``).

    >>> sys.path[0] in helper_env()["PYTHONPATH"].split(os.pathsep) or not sys.path[0]
    True
    """
    paths = [p for p in sys.path if p]
    known = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, *([known] if known else [])])}


class HashingWorker:
    """One helper process computing :class:`~gazette.dedup.rules.BodyPrints`, in order."""

    def __init__(self, hasher: MinHasher, start_after: int = START_AFTER) -> None:
        self.hasher = hasher
        self.start_after = start_after
        self.seen = 0
        self.failed = False  # failed or cannot run here: hashing stays in-process
        self.error: str | None = None  # why it failed (None when it only cannot run here)
        self.proc: asyncio.subprocess.Process | None = None
        self._waiting: collections.deque[asyncio.Future[BodyPrints]] = collections.deque()
        self._starting: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ready = False
        self._out: list[bytes] = []  # frames to write at the end of this loop turn

    # -- the crawl's side ----------------------------------------------------

    def ready(self) -> bool:
        """True when bodies can be sent; starts the helper after ``start_after`` calls.

        With ``start_after`` = 0 it is started on the first call and is ready
        from then on: :meth:`submit` waits for it to answer.
        """
        if self._ready or self.failed:
            return self._ready and not self.failed
        self.seen += 1
        if self._starting is None and self.seen > self.start_after:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # not on an asyncio loop: stay in-process
                self.failed = True
                return False
            self._starting = loop.create_task(self._start())
        return self._starting is not None and self.start_after == 0

    async def prints(self, body: str | None) -> BodyPrints:
        """The prints of ``body`` from the helper (raises RuntimeError if it failed)."""
        if not self._ready and self._starting is not None and not self.failed:
            await asyncio.shield(self._starting)
        return await self.submit(body)

    def submit(self, body: str | None) -> asyncio.Future[BodyPrints]:
        """The prints of ``body``, computed by the helper (call :meth:`ready` first)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[BodyPrints] = loop.create_future()
        proc = self.proc
        if self.failed or proc is None or proc.stdin is None:
            future.set_exception(RuntimeError("the hashing helper is not running"))
            return future
        payload = pickle.dumps(body, protocol=pickle.HIGHEST_PROTOCOL)
        if not self._out:  # one write for the bodies of this loop turn
            loop.call_soon(self._write)
        self._out.append(_LEN.pack(len(payload)) + payload)
        self._waiting.append(future)
        return future

    def _write(self) -> None:
        data, self._out = b"".join(self._out), []
        proc = self.proc
        if self.failed or proc is None or proc.stdin is None:
            return  # _fail already failed the waiting futures
        try:
            proc.stdin.write(data)
        except (BrokenPipeError, ConnectionResetError, RuntimeError) as exc:
            self._fail(exc)

    async def close(self) -> None:
        """Stop the helper (after the answers still due)."""
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
        proc = self.proc
        self._ready = False
        if proc is None:
            return
        if self._out:
            self._write()
        if proc.stdin is not None and not proc.stdin.is_closing():
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), timeout=10)
        except (asyncio.TimeoutError, ProcessLookupError):
            proc.kill()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        self._fail_waiting(RuntimeError("the hashing helper was stopped"))

    # -- plumbing --------------------------------------------------------------

    async def _start(self) -> None:
        h = self.hasher
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "gazette.dedup.hashing",
                str(h.num_perm),
                str(h.seed),
                repr(h.threshold),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=helper_env(),
            )
            assert self.proc.stdout is not None
            hello = await asyncio.wait_for(self.proc.stdout.readline(), timeout=60)
            if hello.strip() != h.params.encode():
                raise RuntimeError(f"the hashing helper answered {hello[:100]!r}")
        except Exception as exc:  # noqa: BLE001 - any failure: stay in-process
            self._fail(exc)
            return
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self._ready = True
        logger.debug("hashing helper %s started", self.proc.pid)

    async def _read(self) -> None:
        proc = self.proc
        assert proc is not None and proc.stdout is not None
        try:
            while True:
                head = await proc.stdout.readexactly(_LEN.size)
                data = await proc.stdout.readexactly(_LEN.unpack(head)[0])
                ok, value = pickle.loads(data)
                future = self._waiting.popleft()
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:  # the helper could not hash this body: in-process, where it raises
                    future.set_exception(RuntimeError(f"hashing helper: {value}"))
        except asyncio.IncompleteReadError as exc:
            if self._waiting or self._ready:
                self._fail(RuntimeError(f"the hashing helper exited ({exc.partial[:50]!r})"))
        except Exception as exc:  # noqa: BLE001
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        if self.error is None:
            logger.warning("hashing helper failed (%s): hashing in the crawl's process", exc)
            self.error = str(exc) or type(exc).__name__
        self.failed = True
        self._ready = False
        self._fail_waiting(exc)
        proc = self.proc
        if proc is not None and proc.returncode is None:
            try:
                proc.kill()
            except ProcessLookupError:
                pass

    def _fail_waiting(self, exc: BaseException) -> None:
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_exception(RuntimeError(f"the hashing helper failed: {exc}"))


# -- the helper process ----------------------------------------------------------


def serve(num_perm: int, seed: int, threshold: float, stdin: Any, stdout: Any) -> int:
    """Answer length-prefixed pickled bodies with ``(ok, BodyPrints | message)``."""
    hasher = MinHasher(num_perm, seed, threshold)
    stdout.write(hasher.params.encode() + b"\n")
    stdout.flush()
    while True:
        head = stdin.read(_LEN.size)
        if len(head) < _LEN.size:
            return 0  # the crawl closed the pipe
        data = stdin.read(_LEN.unpack(head)[0])
        try:
            answer: tuple[bool, Any] = (True, body_prints(pickle.loads(data), hasher))
        except Exception as exc:  # noqa: BLE001 - reported, the crawl hashes it itself
            answer = (False, f"{type(exc).__name__}: {exc}"[:500])
        out = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.write(_LEN.pack(len(out)) + out)
        stdout.flush()


if __name__ == "__main__":
    import signal

    # Ctrl-C or a service stop reaches the whole process group: the crawl decides
    # when to stop (after the items in flight); the helper ends when its stdin closes
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    num_perm, seed, threshold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    raise SystemExit(serve(num_perm, seed, threshold, sys.stdin.buffer, sys.stdout.buffer))
