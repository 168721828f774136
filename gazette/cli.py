"""``gazette`` command line: ``extract`` pages, ``compact`` exports.

    gazette extract [--url URL] FILE...
    gazette extract --manifest LIST.tsv [-o OUT.jsonl]
    gazette compact EXPORT.jsonl... -o notices.jsonl
    gazette dataset [EXPORT...] [--report report.html]
    gazette schema
    gazette health [SUMMARY_DIR...] [--spider NAME]... [--max-age HOURS]

``extract`` runs the very path the spiders use (:func:`gazette.extract.extract_html`)
and writes one JSON record per input page, in input order, UTF-8.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import IO
from urllib.parse import urlsplit

from gazette.extract import extract_html
from gazette.items import complete
from gazette.text.template import SiteTemplate, SiteTemplates


class UsageError(Exception):
    """Bad command-line input (reported on stderr, exit status 2)."""


def _manifest(path: str) -> Iterator[tuple[str, str | None]]:
    try:
        fh = open(path, encoding="utf-8-sig")
    except OSError as e:
        raise UsageError(f"cannot read manifest {path}: {e.strerror}") from e
    base = os.path.dirname(os.path.abspath(path))
    with fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            page, _, url = line.partition("\t")
            page = page.strip()
            if not page:
                raise UsageError(f"{path}:{n}: empty path")
            if not os.path.isabs(page):
                page = os.path.join(base, page)
            yield page, (url.strip() or None)


def extract_one(path: str, url: str | None, templates: SiteTemplates | None = None) -> dict:
    """One record for one file; a page that cannot be parsed gets an ``error``."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        record = extract_html(data, url=url, spider="cli", templates=templates)
    except Exception as e:  # noqa: BLE001 - a broken page must not stop the run
        record = complete({"url": url, "is_notice": False, "masked": False})
        record["error"] = f"{type(e).__name__}: {e}"
    record["source_path"] = path
    return record


def _learnt_templates(inputs: list[tuple[str, str | None]]) -> SiteTemplates | None:
    """When the pages hold enough of one site (their URLs' host), a first pass
    learns each such site's template (:mod:`gazette.text.template`), as a crawl
    would, so every page of it is then read without its recurring chrome."""
    hosts = Counter(urlsplit(url).hostname for _, url in inputs if url)
    if not any(n >= SiteTemplate.MIN_PAGES for host, n in hosts.items() if host):
        return None
    templates = SiteTemplates()
    for path, url in inputs:
        if url and hosts[urlsplit(url).hostname] >= SiteTemplate.MIN_PAGES:
            extract_one(path, url, templates)
    for t in templates.sites.values():
        t.dropped = 0
    return templates


def cmd_extract(args: argparse.Namespace, out: IO[str]) -> int:
    inputs: list[tuple[str, str | None]] = []
    if args.manifest:
        inputs.extend(_manifest(args.manifest))
    if args.url and len(args.files) > 1:
        raise UsageError("--url applies to a single FILE")
    inputs.extend((f, args.url) for f in args.files)
    if not inputs:
        raise UsageError("nothing to extract: give FILE... or --manifest LIST.tsv")
    missing = [p for p, _ in inputs if not os.path.isfile(p)]
    if missing:
        raise UsageError("no such file: " + ", ".join(missing))
    templates = _learnt_templates(inputs)
    for path, url in inputs:
        record = extract_one(path, url, templates)
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gazette", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("extract", help="extract notice records from saved pages")
    e.add_argument("files", nargs="*", metavar="FILE", help="saved HTML pages")
    e.add_argument("--url", help="the page's original URL (one FILE only)")
    e.add_argument("--manifest", help="TSV file: path<TAB>url per line (url may be empty)")
    e.add_argument("-o", "--output", help="write JSON lines here (default: stdout)")
    sub.add_parser("compact", help="one record per notice id from export files", add_help=False)
    sub.add_parser("dataset", help="bring data/dataset up to date, profile it", add_help=False)
    sub.add_parser("schema", help="print the JSON Schema of a record", add_help=False)
    sub.add_parser("health", help="when each spider last ran well (exit 1: stale)", add_help=False)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "compact":
        from gazette.compact import main as compact_main

        return compact_main(argv[1:])
    if argv and argv[0] == "health":
        from gazette.health import main as health_main

        return health_main(argv[1:])
    if argv and argv[0] in ("dataset", "schema"):
        from gazette.dataset import cli as dataset_cli

        run = dataset_cli.main if argv[0] == "dataset" else dataset_cli.schema_main
        return run(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "extract":
            if args.output:
                tmp = args.output + ".part"
                with open(tmp, "w", encoding="utf-8") as fh:
                    rc = cmd_extract(args, fh)
                os.replace(tmp, args.output)
                return rc
            return cmd_extract(args, sys.stdout)
    except UsageError as e:
        print(f"gazette: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
