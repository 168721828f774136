"""``gazette`` command line: ``extract`` pages, ``compact`` exports.

    gazette --version
    gazette extract [--url URL] FILE_OR_DIR... [-o OUT.jsonl]
    gazette extract --manifest LIST.tsv [-o OUT.jsonl]
    gazette compact EXPORT_OR_DIR... [-o notices.jsonl]
    gazette dataset [EXPORT...] [--report report.html]
    gazette schema
    gazette health [SUMMARY_DIR...] [--spider NAME]... [--max-age HOURS]

``extract`` runs the very path the spiders use (:func:`gazette.extract.extract_html`)
and writes one JSON record per input page, in input order, UTF-8. A directory
stands for every page in it (:data:`PAGE_SUFFIXES`, searched recursively, in
name order). ``extract`` and ``compact`` write to stdout, or with ``-o FILE`` to
that file (written whole or not at all).
"""

from __future__ import annotations

import argparse
import contextlib
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

#: the file names ``gazette extract DIR`` reads as pages
PAGE_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml")

#: ``gazette --help``: plain text (no reST markup)
DESCRIPTION = "Crawl and clean Chinese government notices: the command-line tools."
EPILOG = """\
crawls run with scrapy: scrapy list, scrapy crawl SPIDER -a ARG=VALUE
(see docs/spiders/ and python -m gazette.demo --serve for a local demo)"""


def version() -> str:
    """The installed distribution's version (``gazette.__version__`` from a bare checkout)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("gazette")
    except PackageNotFoundError:
        from gazette import __version__

        return __version__


def pages_in(directory: str) -> list[str]:
    """Every page file under ``directory`` (recursively, sorted by path)."""
    found = []
    for parent, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            if name.lower().endswith(PAGE_SUFFIXES):
                found.append(os.path.join(parent, name))
    return found


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
    if args.url and (len(args.files) > 1 or any(os.path.isdir(f) for f in args.files)):
        raise UsageError("--url applies to a single FILE")
    for name in args.files:
        if os.path.isdir(name):
            pages = pages_in(name)
            if not pages:
                raise UsageError(f"no pages in {name} (looked for {', '.join(PAGE_SUFFIXES)})")
            inputs.extend((page, None) for page in pages)
        else:
            inputs.append((name, args.url))
    if not inputs:
        raise UsageError("nothing to extract: give FILE_OR_DIR... or --manifest LIST.tsv")
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
    p = argparse.ArgumentParser(
        prog="gazette",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"gazette {version()}")
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("extract", help="extract notice records from saved pages")
    e.add_argument(
        "files",
        nargs="*",
        metavar="FILE_OR_DIR",
        help="saved HTML pages; a directory: every page in it (.html .htm .shtml .xhtml)",
    )
    e.add_argument("--url", help="the page's original URL (one FILE only)")
    e.add_argument("--manifest", help="TSV file: path<TAB>url per line (url may be empty)")
    e.add_argument(
        "-o", "--output", metavar="FILE", help="write the JSON lines to FILE (default: stdout)"
    )
    sub.add_parser("compact", help="one record per notice id from export files", add_help=False)
    sub.add_parser("dataset", help="bring data/dataset up to date, profile it", add_help=False)
    sub.add_parser("schema", help="print the JSON Schema of a record", add_help=False)
    sub.add_parser("health", help="when each spider last ran well (exit 1: stale)", add_help=False)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "compact":
        from gazette.dedup.compact import main as compact_main

        return compact_main(argv[1:])
    if argv and argv[0] == "health":
        from gazette.ops.health import main as health_main

        return health_main(argv[1:])
    if argv and argv[0] in ("dataset", "schema"):
        from gazette.dataset import cli as dataset_cli

        run = dataset_cli.main if argv[0] == "dataset" else dataset_cli.schema_main
        return run(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "extract":
            if args.output and args.output != "-":
                tmp = args.output + ".part"  # the output appears whole or not at all
                try:
                    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
                    fh = open(tmp, "w", encoding="utf-8")  # noqa: SIM115
                except OSError as e:
                    raise UsageError(f"cannot write {args.output}: {e.strerror or e}") from e
                try:
                    with fh:
                        rc = cmd_extract(args, fh)
                    os.replace(tmp, args.output)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise
                return rc
            return cmd_extract(args, sys.stdout)
    except UsageError as e:
        print(f"gazette: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
