"""Check a crawl's state before the first request: damaged, read-only, unreachable.

:func:`check_state` is what ``scrapy crawl`` (:mod:`gazette.commands.crawl`)
asks before it starts a crawler. It writes nothing: a damaged SQLite file, a
read-only one (or a read-only ``-wal``/``-shm`` file left by another user),
a folder the crawl cannot write, or a Redis server that does not answer (or
refuses the password) gives one line naming the file (or server), what is
wrong and the way out, as :class:`StateProblem`; the crawl stops with a
non-zero exit before any request and nothing is written.

The ways out:

* **read-only**: give the crawl's user write access to the file, its folder
  and its ``-wal``/``-shm`` files (``chown gazette: FILE*``);
* **damaged**: restore the last backup (``deploy/gazette-backup.sh`` makes one
  every night, docs/operations.md, "Retention and backups"), or start over with
  ``-s GAZETTE_STATE_RESET=1``, which moves the damaged file aside
  (``FILE.damaged-<time>``, never deleted) and forgets every notice: the next
  run fetches and exports again every notice still listed on the site;
* **Redis**: start the server or fix ``GAZETTE_REDIS_URL``.

>>> import tempfile, os
>>> d = tempfile.mkdtemp(); p = os.path.join(d, "s.sqlite3")
>>> check_sqlite(p) is None          # a new state: its folder is writable
True
>>> _ = open(p, "wb").write(b"not a database at all" * 100)
>>> print(check_sqlite(p))  # doctest: +ELLIPSIS
state .../s.sqlite3 is damaged (not a SQLite database): restore ... GAZETTE_STATE_RESET=1 ...
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from typing import Any
from urllib.parse import urlsplit, urlunsplit

SQLITE_MAGIC = b"SQLite format 3\x00"


class StateProblem(Exception):
    """The state cannot be used: the message is one line (file, what, way out)."""


def _damaged(path: str, what: str) -> str:
    return (
        f"state {path} is damaged ({what}): restore the last backup over it "
        '(deploy/gazette-backup.sh keeps them; docs/operations.md, "Retention and backups"), '
        "or start over with -s GAZETTE_STATE_RESET=1 "
        "(moves it aside to *.damaged-<time> and forgets every notice: the next run "
        "exports again every notice still on the site)"
    )


def _read_only(path: str, culprit: str, why: str) -> str:
    return (
        f"state {path} is not writable ({culprit}: {why}): give the crawl's user write "
        f"access to it, its folder and its -wal/-shm files (e.g. chown gazette: {path}*), "
        "then run again"
    )


def _writable_file(path: str) -> str | None:
    """None when ``path`` can be opened for writing (nothing is written), else why not."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    return None


def _writable_dir(folder: str) -> str | None:
    """None when files can be created in ``folder`` (a probe file, removed at once)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".gazette-probe-", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    os.unlink(probe)
    return None


def check_sqlite(path: str) -> str | None:
    """What is wrong with the SQLite state at ``path`` (one line), or None."""
    if path == ":memory:":
        return None
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.exists(path):
        existing = folder
        while not os.path.isdir(existing):
            parent = os.path.dirname(existing)
            if parent == existing:
                break
            existing = parent
        why = _writable_dir(existing)
        if why is not None:
            return _read_only(path, f"cannot create it in {existing}", why)
        return None
    if not os.path.isfile(path):
        return f"state {path} is not a file: move it away or set GAZETTE_STATE_PATH"
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        return _read_only(path, path, exc.strerror or str(exc))
    if head and head != SQLITE_MAGIC:
        return _damaged(path, "not a SQLite database")
    for culprit in (path, path + "-wal", path + "-shm"):
        if os.path.exists(culprit):
            why = _writable_file(culprit)
            if why is not None:
                return _read_only(path, culprit, why)
    missing = [p for p in (path + "-wal", path + "-shm") if not os.path.exists(p)]
    if missing:
        why = _writable_dir(folder)
        if why is not None:
            return _read_only(path, f"cannot create {os.path.basename(missing[0])}", why)
    if not head:
        return None  # an empty file is an empty database
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        return _damaged(path, str(exc))
    try:
        rows = db.execute("PRAGMA quick_check(3)").fetchall()
        problems = [str(r[0]) for r in rows if r and r[0] != "ok"]
        if problems:
            return _damaged(path, "; ".join(problems)[:200])
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        if "readonly" in str(exc) or "read-only" in str(exc):
            return _read_only(path, path, str(exc))
        return _damaged(path, str(exc))
    except sqlite3.DatabaseError as exc:
        return _damaged(path, str(exc))
    finally:
        db.close()
    return None


def hide_password(url: str) -> str:
    """``redis://:secret@host:6379/0`` → ``redis://:***@host:6379/0``.

    >>> hide_password("redis://:s3cret@10.0.0.5:6379/0"), hide_password("redis://h:1/0")
    ('redis://:***@10.0.0.5:6379/0', 'redis://h:1/0')
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def check_redis(url: str, timeout: float = 5.0) -> str | None:
    """What is wrong with the Redis server at ``url`` (one line), or None."""
    import redis

    shown = hide_password(url)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        client.ping()
    except redis.AuthenticationError as exc:
        return (
            f"Redis at {shown} refused the password ({exc}): fix the password in "
            "GAZETTE_REDIS_URL (/etc/gazette/gazette.env)"
        )
    except (redis.RedisError, OSError, ValueError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return (
            f"Redis at {shown} does not answer ({why}): start it "
            "(systemctl start redis-server) or fix GAZETTE_REDIS_URL"
        )
    finally:
        try:
            client.close()
        except Exception:  # noqa: BLE001 - never opened
            pass
    return None


def state_path(settings: Any, spider_name: str) -> str:
    """The SQLite state file of ``spider_name`` under ``settings``."""
    path = settings.get("GAZETTE_STATE_PATH") or "data/state/{spider}.sqlite3"
    return str(path).replace("%(name)s", spider_name).replace("{spider}", spider_name)


def check_state(settings: Any, spider_name: str) -> None:
    """Raise :class:`StateProblem` when the crawl's state cannot be used as is.

    With ``GAZETTE_REDIS_URL`` the Redis server is checked; else the SQLite
    file (``GAZETTE_STATE_RESET=1`` skips the damage check: the reset moves a
    damaged file aside). Another ``GAZETTE_STATE_BACKEND`` is not checked.
    """
    url = settings.get("GAZETTE_REDIS_URL")
    if url:
        problem = check_redis(str(url))
        if problem:
            raise StateProblem(problem)
        return
    backend = settings.get("GAZETTE_STATE_BACKEND") or "gazette.state.sqlite.SQLiteState"
    if backend != "gazette.state.sqlite.SQLiteState":
        return
    path = state_path(settings, spider_name)
    problem = check_sqlite(path)
    if problem and settings.getbool("GAZETTE_STATE_RESET") and "damaged" in problem:
        return
    if problem:
        raise StateProblem(problem)


__all__ = ["StateProblem", "check_redis", "check_sqlite", "check_state"]
