"""The files analysts open, written from the store, each atomically.

Every file is written to a temporary name in the dataset directory, flushed,
``fsync``-ed and renamed over the old one (then the directory is synced): a
reader sees the previous file or the new one, never part of one, and a killed
update leaves the previous files as they were (its temporary file is removed
by the next update). ``manifest.json`` is written last and names the store
generation each file holds.

* ``notices.jsonl``: one record per line, UTF-8, by ``id``;
* ``notices.csv``: UTF-8 with BOM (Excel reads the Chinese), one row per
  notice, lists joined with :data:`~gazette.dataset.schema.CSV_SEPARATOR`
  (an attachment as ``title <url>``, a source as its URL), ``body`` only with
  ``csv_body=True`` (cut at 32,000 characters, Excel's cell limit);
* ``notices.parquet`` (pyarrow) and ``notices.duckdb`` (DuckDB: ``notices``
  and ``sources`` tables): the ``analyst`` extra, imported only here.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import glob
import io
import json
import os
from collections.abc import Callable, Iterator
from typing import IO, Any

from gazette.dataset.schema import COLUMNS, CSV_SEPARATOR, SOURCE_KEYS
from gazette.dataset.store import Store

JSONL = "notices.jsonl"
CSV = "notices.csv"
PARQUET = "notices.parquet"
DUCKDB = "notices.duckdb"
MANIFEST = "manifest.json"
STORE = "store.sqlite3"
LIGHT_FORMATS = ("jsonl", "csv")  # what a crawl writes (no optional dependency)
ALL_FORMATS = ("jsonl", "csv", "parquet", "duckdb")
CSV_CELL_LIMIT = 32000
_TMP = ".tmp-"


@contextlib.contextmanager
def locked(directory: str) -> Iterator[None]:
    """One writer of a dataset directory's files at a time (an flock on ``.lock``)."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, ".lock"), "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_name(path: str) -> str:
    d, name = os.path.split(path)
    return os.path.join(d, f"{_TMP}{os.getpid()}-{name}")


def clean_temps(directory: str) -> int:
    """Remove temporary files killed updates left; → how many."""
    n = 0
    for path in glob.glob(os.path.join(directory, _TMP + "*")):
        with contextlib.suppress(OSError):
            os.remove(path)
            n += 1
    return n


def publish(tmp: str, path: str) -> None:
    """fsync ``tmp`` and rename it over ``path`` (then sync the directory)."""
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(os.path.dirname(os.path.abspath(path)))


def write_atomic(path: str, fill: Callable[[IO[bytes]], Any]) -> Any:
    """``fill(file)`` into a temporary file, then :func:`publish` it as ``path``."""
    tmp = temp_name(path)
    try:
        with open(tmp, "wb") as fh:
            result = fill(fh)
        publish(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return result


# -- records -----------------------------------------------------------------------


def records(store: Store) -> Iterator[dict[str, Any]]:
    """Every dataset record, by id: merged record, revision, provenance, cites, cited_by."""
    docnos = store.docnos()
    cites: dict[str, list[str]] = {}
    cited_by: dict[str, list[str]] = {}
    for nid, refs in store.references():
        out = []
        for ref in refs:
            for target in docnos.get(ref, ()):
                if target != nid and target not in out:
                    out.append(target)
                    cited_by.setdefault(target, []).append(nid)
        if out:
            cites[nid] = out
    sources = store.sources()
    pending: tuple[str, list[dict[str, Any]]] | None = next(sources, None)
    for nid, revision, first, last, content in store.rows():
        record = json.loads(content)
        while pending is not None and pending[0] < nid:
            pending = next(sources, None)
        mine = pending[1] if pending is not None and pending[0] == nid else []
        record["revision"] = revision
        record["first_seen"] = first
        record["last_seen"] = last
        record["cites"] = cites.get(nid, [])
        record["cited_by"] = sorted(cited_by.get(nid, []))
        record["sources"] = mine
        yield {key: record.get(key) for key in COLUMNS}


def _jsonl(store: Store) -> Callable[[IO[bytes]], int]:
    def fill(fh: IO[bytes]) -> int:
        n = 0
        buf: list[str] = []
        for record in records(store):
            buf.append(json.dumps(record, ensure_ascii=False))
            n += 1
            if len(buf) >= 1000:
                fh.write(("\n".join(buf) + "\n").encode("utf-8"))
                buf = []
        if buf:
            fh.write(("\n".join(buf) + "\n").encode("utf-8"))
        return n

    return fill


def csv_cell(key: str, value: Any) -> str:
    """One CSV cell: lists joined with :data:`CSV_SEPARATOR`, booleans ``true``/``false``.

    >>> csv_cell("attachments", [{"title": "附件1", "url": "http://a/1.doc"}, {"title": "附件2", "url": None}])
    '附件1 <http://a/1.doc> | 附件2'
    >>> csv_cell("co_issuers", ["广东省财政厅", "广东省税务局"]), csv_cell("masked", False), csv_cell("date", None)
    ('广东省财政厅 | 广东省税务局', 'false', '')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        parts = []
        for item in value:
            if key == "attachments" and isinstance(item, dict):
                title, url = item.get("title") or "", item.get("url")
                parts.append(f"{title} <{url}>".strip() if url else title)
            elif key == "sources" and isinstance(item, dict):
                parts.append(str(item.get("url") or ""))
            else:
                parts.append(str(item))
        return CSV_SEPARATOR.join(parts)
    return str(value)


def _csv(store: Store, body: bool) -> Callable[[IO[bytes]], int]:
    columns = [c for c in COLUMNS if body or c != "body"]

    def fill(fh: IO[bytes]) -> int:
        text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(columns)
        n = 0
        for record in records(store):
            row = [csv_cell(c, record.get(c)) for c in columns]
            if body:
                i = columns.index("body")
                row[i] = row[i][:CSV_CELL_LIMIT]
            writer.writerow(row)
            n += 1
        text.flush()
        text.detach()
        return n

    return fill


# -- Parquet and DuckDB (the analyst extra) -------------------------------------------


def arrow_schema() -> Any:
    import pyarrow as pa

    att = pa.list_(pa.struct([("title", pa.string()), ("url", pa.string())]))
    src = pa.list_(
        pa.struct(
            [
                ("url", pa.string()),
                ("site", pa.string()),
                ("fetched_at", pa.timestamp("us", tz="UTC")),
                ("masked", pa.bool_()),
                ("spider", pa.string()),
                ("run", pa.string()),
            ]
        )
    )
    types = {
        "str": pa.string(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "bool": pa.bool_(),
        "int": pa.int32(),
        "list[str]": pa.list_(pa.string()),
        "attachments": att,
        "sources": src,
    }
    return pa.schema([(name, types[kind]) for name, kind in COLUMNS.items()])


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _stamp(value: Any) -> dt.datetime | None:
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp.astimezone(dt.timezone.utc)


def typed(record: dict[str, Any]) -> dict[str, Any]:
    """A record with the Python values of its columns' types (dates, timestamps, lists)."""
    out: dict[str, Any] = {}
    for name, kind in COLUMNS.items():
        value = record.get(name)
        if kind == "date":
            value = _date(value)
        elif kind == "timestamp":
            value = _stamp(value)
        elif kind == "list[str]":
            value = [str(v) for v in value or []]
        elif kind == "attachments":
            value = [
                {"title": a.get("title"), "url": a.get("url")}
                for a in value or []
                if isinstance(a, dict)
            ]
        elif kind == "sources":
            value = [
                {**{k: s.get(k) for k in SOURCE_KEYS}, "fetched_at": _stamp(s.get("fetched_at"))}
                for s in value or []
            ]
        elif kind == "bool":
            value = None if value is None else bool(value)
        elif kind == "str" and value is not None:
            value = str(value)
        out[name] = value
    return out


def _parquet(store: Store, batch: int = 5000) -> Callable[[IO[bytes]], int]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()

    def fill(fh: IO[bytes]) -> int:
        n = 0
        with pq.ParquetWriter(fh, schema, compression="zstd") as writer:
            rows: list[dict[str, Any]] = []
            for record in records(store):
                rows.append(typed(record))
                if len(rows) >= batch:
                    writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                    n += len(rows)
                    rows = []
            if rows or n == 0:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                n += len(rows)
        return n

    return fill


def write_duckdb(parquet_path: str, path: str) -> None:
    """``notices`` (every column but ``sources``) and ``sources`` (id, url, site,
    fetched_at, masked, spider, run) from the Parquet file, atomically."""
    import duckdb

    tmp = temp_name(path)
    for leftover in (tmp, tmp + ".wal"):
        with contextlib.suppress(OSError):
            os.remove(leftover)
    try:
        con = duckdb.connect(tmp)
        try:
            src = parquet_path.replace("'", "''")
            con.execute(
                f"CREATE TABLE notices AS SELECT * EXCLUDE (sources) FROM read_parquet('{src}')"
            )
            con.execute(
                "CREATE TABLE sources AS SELECT id, s.url AS url, s.site AS site, "
                "s.fetched_at AS fetched_at, s.masked AS masked, s.spider AS spider, "
                f"s.run AS run FROM (SELECT id, unnest(sources) AS s FROM read_parquet('{src}'))"
            )
            con.execute("CHECKPOINT")
        finally:
            con.close()
        publish(tmp, path)
    except BaseException:
        for leftover in (tmp, tmp + ".wal"):
            with contextlib.suppress(OSError):
                os.remove(leftover)
        raise


# -- the whole directory ------------------------------------------------------------


def materialize(
    directory: str,
    store: Store,
    formats: tuple[str, ...] = LIGHT_FORMATS,
    csv_body: bool = False,
) -> dict[str, Any]:
    """Write the dataset files of ``formats`` from ``store``; → the manifest written."""
    with locked(directory):
        clean_temps(directory)
        generation = store.generation()
        manifest = read_manifest(directory)
        files = dict(manifest.get("files") or {})
        count = None
        for fmt in formats:
            if fmt == "jsonl":
                count = write_atomic(os.path.join(directory, JSONL), _jsonl(store))
            elif fmt == "csv":
                count = write_atomic(os.path.join(directory, CSV), _csv(store, csv_body))
            elif fmt == "parquet":
                count = write_atomic(os.path.join(directory, PARQUET), _parquet(store))
            elif fmt == "duckdb":
                parquet = os.path.join(directory, PARQUET)
                if "parquet" not in formats:
                    count = write_atomic(parquet, _parquet(store))
                write_duckdb(parquet, os.path.join(directory, DUCKDB))
            else:
                raise ValueError(f"unknown dataset format {fmt!r}")
            files[fmt] = generation
        manifest = {
            "generation": generation,
            "notices": store.count() if count is None else count,
            "written_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "files": files,
        }
        path = os.path.join(directory, MANIFEST)
        data = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
        write_atomic(path, lambda fh: fh.write(data))
        return manifest


def read_manifest(directory: str) -> dict[str, Any]:
    try:
        with open(os.path.join(directory, MANIFEST), encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
