"""``gazette compact``: one record per notice, from the best source.

    gazette compact EXPORT_OR_DIR... [--state STATE.sqlite3 ...] [-o notices.jsonl]

Writes to stdout, or with ``-o FILE`` to that file (whole or not at all), as
``gazette extract`` does.

Reads JSON-lines exports (``.jsonl`` or ``.jsonl.gz``; directories are searched
for them; a truncated last line or gzip trailer of a killed run is skipped)
and, with ``--state``, the later copies each crawl state recorded as sources of
its notices. Records are grouped by ``id`` and, across spiders and files,
by the same duplicate rules as the crawl (:mod:`gazette.dedup.rules`); a record
without ``id`` (``gazette extract`` output) is grouped the same way.

For each group the best copy is written: the official one (a ``gov.cn``
site) over reposts, then unmasked over masked, then the most complete
record, then the earliest fetched. ``sources`` lists every URL seen for the
notice, the chosen one first. The group's ``id`` is the id of its earliest
record that has one, so ids stay stable as exports accumulate.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urlsplit

from gazette.dedup.rules import Deduplicator
from gazette.items import FIELDS, LIST_FIELDS, complete
from gazette.state.sqlite import SQLiteState

logger = logging.getLogger(__name__)


def read_jsonl(path: str) -> Iterator[dict[str, Any]]:
    """Records of one export file; broken lines and a truncated gzip end are skipped."""
    opener: Any = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as raw:
        stream = io.TextIOWrapper(raw, encoding="utf-8", errors="replace")
        n = 0
        while True:
            try:
                line = stream.readline()
            except (EOFError, OSError, gzip.BadGzipFile) as exc:
                logger.warning("%s: stream ends early after line %d (%s)", path, n, exc)
                return
            if not line:
                return
            n += 1
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                logger.warning("%s:%d: not a JSON record, skipped", path, n)
                continue
            if isinstance(record, dict):
                yield record


def export_files(paths: Iterable[str]) -> list[str]:
    """The export files named or found under the directories named, sorted per directory."""
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            found = []
            for root, _dirs, files in os.walk(p):
                found += [
                    os.path.join(root, f)
                    for f in files
                    if f.endswith((".jsonl", ".jsonl.gz", ".jl"))
                ]
            out += sorted(found)
        else:
            out.append(p)
    return out


def is_official(record: dict[str, Any]) -> bool:
    """A copy on a government site (``*.gov.cn``).

    >>> is_official({"site": "www.gd.gov.cn"}), is_official({"url": "https://news.163.com/a"})
    (True, False)
    """
    site = record.get("site") or ""
    if not site and record.get("url"):
        site = urlsplit(str(record["url"])).hostname or ""
    site = site.lower().rstrip(".")
    return site == "gov.cn" or site.endswith(".gov.cn")


def completeness(record: dict[str, Any]) -> int:
    """How many contract fields hold a value.

    >>> completeness({"title": "t", "co_issuers": [], "date": None, "body": "b"})
    2
    """
    n = 0
    for key in FIELDS:
        value = record.get(key)
        if value is None or (key in LIST_FIELDS and not value) or value == "":
            continue
        n += 1
    return n


def rank(record: dict[str, Any]) -> tuple[int, int, int]:
    """Sort key, higher is better: official, unmasked, complete."""
    return (int(is_official(record)), int(not record.get("masked")), completeness(record))


@dataclass
class _Copy:
    order: int
    record: dict[str, Any]
    group: int = -1


@dataclass
class _Groups:
    parent: list[int] = field(default_factory=list)

    def new(self) -> int:
        self.parent.append(len(self.parent))
        return len(self.parent) - 1

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def compact(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group copies and keep the best of each group (see the module doc)."""
    groups = _Groups()
    by_id: dict[str, int] = {}
    by_verdict: dict[str, int] = {}
    copies: list[_Copy] = []
    for order, raw in enumerate(records):
        if raw.get("is_notice") is False or raw.get("error"):
            continue
        copies.append(_Copy(order, complete(raw), groups.new()))
    scratch = SQLiteState(":memory:")
    dedup = Deduplicator(scratch, keep_records=False)
    # copies with a 文号 first, best first: a repost without 文号 then joins the
    # most similar of the documents it could be a copy of
    for copy in sorted(
        copies, key=lambda c: (not c.record.get("doc_number"), _neg(rank(c.record)), c.order)
    ):
        record = copy.record
        rid = record.get("id")
        if rid:
            if rid in by_id:
                groups.union(by_id[rid], copy.group)
            else:
                by_id[rid] = copy.group
        verdict = dedup.check(record)
        if verdict.id in by_verdict:
            groups.union(by_verdict[verdict.id], copy.group)
        else:
            by_verdict[verdict.id] = copy.group
    scratch.close()

    members: dict[int, list[_Copy]] = {}
    for copy in copies:
        members.setdefault(groups.find(copy.group), []).append(copy)
    out = []
    for _root, group in sorted(members.items(), key=lambda kv: kv[1][0].order):
        by_time = sorted(group, key=lambda c: (str(c.record.get("fetched_at") or ""), c.order))
        gid = next((c.record["id"] for c in by_time if c.record.get("id")), None)
        best = max(group, key=lambda c: (rank(c.record), _neg_time(c.record), -c.order))
        urls: list[str] = []
        for c in [best, *by_time]:
            url = c.record.get("url")
            if url and url not in urls:
                urls.append(url)
        record = dict(best.record)
        record["id"] = gid or dedup_id(record)
        record["sources"] = urls
        out.append(complete(record))
    return out


def _neg(key: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(-k for k in key)


def _neg_time(record: dict[str, Any]) -> tuple[int, ...]:
    """Earlier fetched_at ranks higher (as a max() key)."""
    stamp = str(record.get("fetched_at") or "9999")
    return tuple(-ord(ch) for ch in stamp)


def dedup_id(record: dict[str, Any]) -> str:
    """An id for a group none of whose records had one."""
    from gazette.dedup.rules import make_id
    from gazette.text.canon import body_hash, canonical_body, canonical_issuer

    return make_id(
        record.get("doc_number"),
        canonical_issuer(record.get("issuer")),
        body_hash(canonical_body(record.get("body"))),
    )


def state_records(path: str) -> Iterator[dict[str, Any]]:
    """Later copies a crawl state kept (with their notice's id)."""
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    state = SQLiteState(path)
    try:
        for source in state.iter_sources():
            if source.record is not None:
                yield {**source.record, "id": source.id}
    finally:
        state.close()


def _write(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    n = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        n += 1
    return n


def main(argv: Sequence[str] | None = None) -> int:
    """``gazette compact`` entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="gazette compact",
        description="One record per notice id from the best source, with every source URL.",
    )
    parser.add_argument(
        "exports", nargs="+", help="export files (.jsonl, .jsonl.gz) or directories"
    )
    parser.add_argument(
        "--state",
        action="append",
        default=[],
        help="crawl state (.sqlite3) whose later copies count too",
    )
    parser.add_argument(
        "-o", "--output", default="-", metavar="FILE", help="write to FILE (default: stdout)"
    )
    parser.add_argument(
        "--dataset",
        default=os.path.join("data", "dataset"),
        metavar="DIR",
        help="bring this dataset up to date too, when it exists (default data/dataset; '' : no)",
    )
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))

    files = export_files(args.exports)
    missing = [f for f in files if not os.path.exists(f)] + [
        s for s in args.state if not os.path.exists(s)
    ]
    if missing:
        print(f"gazette compact: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2

    def everything() -> Iterator[dict[str, Any]]:
        for path in files:
            yield from read_jsonl(path)
        for path in args.state:
            yield from state_records(path)

    count = {"in": 0}

    def counted() -> Iterator[dict[str, Any]]:
        for record in everything():
            count["in"] += 1
            yield record

    result = compact(counted())
    if args.output == "-":
        n = _write(result, sys.stdout)
    else:
        tmp = args.output + ".tmp"
        try:
            os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
            fh = open(tmp, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as e:
            print(
                f"gazette compact: cannot write {args.output}: {e.strerror or e}", file=sys.stderr
            )
            return 2
        try:
            with fh:
                n = _write(result, fh)
            os.replace(tmp, args.output)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    print(f"gazette compact: {count['in']} records in, {n} notices out", file=sys.stderr)
    if args.dataset and os.path.isdir(args.dataset):
        # the dataset (one best record per notice) takes in the same exports
        from gazette.dataset import cli as dataset_cli

        return dataset_cli.main(
            [*args.exports, *(f"--state={s}" for s in args.state), "--dir", args.dataset, "--quiet"]
        )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
