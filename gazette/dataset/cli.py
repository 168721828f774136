"""``gazette dataset`` and ``gazette schema``.

    gazette dataset [EXPORT_OR_DIR...] [--dir data/dataset] [--state STATE.sqlite3 ...]
                    [--rebuild] [--formats jsonl,csv,parquet,duckdb] [--csv-body]
                    [--report report.html] [--quiet]
    gazette schema

``dataset`` brings the dataset directory up to date and prints its profile:
it adds to the store what the export files hold beyond what an earlier call
read (the bytes appended since; a crawl already added its copies itself) and
the copies the crawl states (``--state``) recorded, then rewrites the files.
``--rebuild`` builds a new store from the exports and states alone and puts it
in place of the old one. Without EXPORT_OR_DIR, ``data/exports`` is read when
it exists. Parquet and DuckDB need the ``analyst`` extra
(``pip install 'gazette[analyst]'``); without it the default formats are
JSONL and CSV.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from gazette.dataset.files import ALL_FORMATS, STORE, locked, materialize, records
from gazette.dataset.report import format_profile, profile, render_html
from gazette.dataset.schema import json_schema
from gazette.dataset.store import Store

DEFAULT_DIR = os.path.join("data", "dataset")
DEFAULT_EXPORTS = os.path.join("data", "exports")


class UsageError(Exception):
    """Bad input: one line on stderr, exit status 2."""


def _analyst() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("pyarrow", "duckdb"))


def export_files(paths: Sequence[str]) -> list[str]:
    from gazette.dedup.compact import export_files as found

    return found(paths)


def _lines(data: bytes) -> Iterator[dict[str, Any]]:
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            yield record


def ingest_export(store: Store, path: str, run: str | None = None) -> int:
    """Add the copies of ``path`` not read before; → records read."""
    path = os.path.abspath(path)
    size = os.path.getsize(path)
    offset = store.file_offset(path)
    if offset >= size:
        return 0
    n = 0
    if path.endswith(".gz"):
        from gazette.dedup.compact import read_jsonl

        with store.batch():
            for record in read_jsonl(path):
                store.add(record, run)
                n += 1
            store.set_file_offset(path, size)
        return n
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(size - offset)
    end = data.rfind(b"\n") + 1  # whole lines only: a run may still be writing the rest
    with store.batch():
        for record in _lines(data[:end]):
            store.add(record, run)
            n += 1
        store.set_file_offset(path, offset + end)
    return n


def ingest_state(store: Store, path: str) -> int:
    """Add every copy a crawl state (SQLite) recorded with its record."""
    from gazette.dedup.compact import state_records

    n = 0
    with store.batch():
        for record in state_records(path):
            store.add(record)
            n += 1
    return n


def rebuild(directory: str, exports: list[str], states: list[str]) -> tuple[int, int]:
    """A new store from ``exports`` and ``states``, put in place of the old one."""
    path = os.path.join(directory, STORE)
    tmp = os.path.join(directory, f".rebuild-{os.getpid()}-{STORE}")
    for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
        with contextlib.suppress(OSError):
            os.remove(leftover)
    n = 0
    store = Store(tmp)
    try:
        for export in exports:
            n += ingest_export(store, export)
        for state in states:
            n += ingest_state(store, state)
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.db.execute("PRAGMA journal_mode=DELETE")
        count = store.count()
    finally:
        store.close()
    if os.path.exists(path):  # the old store's WAL must not outlive it
        old = Store(path)
        old.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        old.close()
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    for leftover in (path + "-wal", path + "-shm"):
        with contextlib.suppress(OSError):
            os.remove(leftover)
    return n, count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="gazette dataset",
        description="Bring the dataset (one best record per notice) up to date and profile it.",
    )
    parser.add_argument(
        "exports", nargs="*", help="export files (.jsonl, .jsonl.gz) or directories"
    )
    parser.add_argument("--dir", default=DEFAULT_DIR, help="dataset directory (data/dataset)")
    parser.add_argument("--state", action="append", default=[], help="crawl state (.sqlite3)")
    parser.add_argument("--rebuild", action="store_true", help="build the store anew")
    parser.add_argument(
        "--formats", help="comma-separated: jsonl,csv,parquet,duckdb (default: all installed)"
    )
    parser.add_argument("--csv-body", action="store_true", help="include body in the CSV")
    parser.add_argument("--report", help="write an HTML report here")
    parser.add_argument("--quiet", action="store_true", help="no profile")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return _run(args)
    except UsageError as e:
        print(f"gazette dataset: error: {e}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.formats:
        formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
        unknown = [f for f in formats if f not in ALL_FORMATS]
        if unknown:
            raise UsageError(f"unknown format {', '.join(unknown)} (jsonl, csv, parquet, duckdb)")
        if {"parquet", "duckdb"} & set(formats) and not _analyst():
            raise UsageError(
                "parquet and duckdb need pyarrow and duckdb: pip install 'gazette[analyst]'"
            )
    elif _analyst():
        formats = ALL_FORMATS
    else:
        formats = ("jsonl", "csv")
        print("gazette dataset: pyarrow/duckdb not installed: JSONL and CSV only", file=sys.stderr)
    paths = list(args.exports)
    if not paths and os.path.isdir(DEFAULT_EXPORTS):
        paths = [DEFAULT_EXPORTS]
    missing = [p for p in [*paths, *args.state] if not os.path.exists(p)]
    if missing:
        raise UsageError(f"no such file: {', '.join(missing)}")
    files = export_files(paths)
    os.makedirs(args.dir, exist_ok=True)
    if args.rebuild:
        with locked(args.dir):
            n, count = rebuild(args.dir, files, args.state)
        print(f"gazette dataset: rebuilt from {n} records: {count} notices", file=sys.stderr)
    store = Store(os.path.join(args.dir, STORE))
    try:
        if not args.rebuild:
            n = sum(ingest_export(store, f) for f in files)
            n += sum(ingest_state(store, s) for s in args.state)
            print(f"gazette dataset: {n} new records read", file=sys.stderr)
        manifest = materialize(args.dir, store, formats, csv_body=args.csv_body)
        print(
            f"gazette dataset: {args.dir}: {manifest['notices']} notices ({', '.join(formats)})",
            file=sys.stderr,
        )
        if not args.quiet or args.report:
            p = profile(records(store))
            if not args.quiet:
                print(format_profile(p))
            if args.report:
                from gazette.dataset.files import write_atomic

                page = render_html(p).encode("utf-8")
                write_atomic(os.path.abspath(args.report), lambda fh: fh.write(page))
                print(f"gazette dataset: report {args.report}", file=sys.stderr)
    finally:
        store.close()
    return 0


def schema_main(argv: Sequence[str] | None = None) -> int:
    """``gazette schema``: print the JSON Schema of a record."""
    parser = argparse.ArgumentParser(
        prog="gazette schema",
        description="Print the JSON Schema of an exported / dataset record (see DATA_FORMAT.md).",
    )
    parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    print(json.dumps(json_schema(), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
