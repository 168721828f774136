"""End to end: scheduled runs against a local site export only what is new.

A local HTTP server serves a list page linking to one detail page per title
of the seed page's 100 related titles (four are cleared placeholders, two are
near-duplicate reposts of one article). The test spider below (run with
``scrapy runspider`` in a subprocess, so each run gets a fresh reactor)
builds items from JSON embedded in the pages, so the test does not depend on
extraction quality. The project settings apply: the item pipelines, the
SQLite state at ``data/state/<spider>.sqlite3`` and the feed at
``data/exports/<spider>/<time>.jsonl``, relative to the run's directory.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import scrapy

from gazette.items import Notice, complete

FIXTURES = Path(__file__).parent / "fixtures" / "pipelines"
SPIDER = "gazette_incremental_test"


class IncrementalTestSpider(scrapy.Spider):
    """List page -> detail pages (``gazette_detail``) -> items from embedded JSON."""

    name = SPIDER
    custom_settings = {
        "ROBOTSTXT_OBEY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "RETRY_ENABLED": False,
        "LOG_LEVEL": "INFO",
    }

    def __init__(self, start_url: str = "", stats_out: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_url = start_url
        self.stats_out = stats_out

    async def start(self) -> Any:
        yield scrapy.Request(self.start_url, callback=self.parse)

    def parse(self, response: Any) -> Iterator[scrapy.Request]:
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, self.parse_detail, meta={"gazette_detail": True})

    def parse_detail(self, response: Any) -> Iterator[Notice]:
        data = json.loads(response.css("script#notice::text").get())
        data.update(url=response.url, spider=self.name)
        yield Notice(**complete(data))

    def closed(self, reason: str) -> None:
        if self.stats_out:
            stats = {k: v for k, v in self.crawler.stats.get_stats().items() if isinstance(v, int)}
            Path(self.stats_out).write_text(json.dumps(stats), "utf-8")


# -- the site ----------------------------------------------------------------

_WORDS_RND = random.Random(7)
_CHARS = "政府信息公开工作通知各地部门要加强组织领导落实责任推进建设发展服务管理监督检查安全教育卫生交通农村社区企业项目资金"
_VOCAB = [
    "".join(_WORDS_RND.choice(_CHARS) for _ in range(_WORDS_RND.choice((2, 3, 4))))
    for _ in range(3000)
]


def _body(seed: int) -> str:
    rnd = random.Random(seed)
    paras = [
        "".join(rnd.choice(_VOCAB) for _ in range(rnd.randrange(15, 30))) + "。" for _ in range(6)
    ]
    return "各有关单位：\n" + "\n".join(paras)


def _repost(body: str) -> str:
    """A reposting site's copy: traditional characters, masks, chrome, a pinyin gloss."""
    import opencc

    words = body.split("\n")[1][:40]
    text = body.replace(words[4:8], "***", 1)
    text = opencc.OpenCC("s2t").convert(text)
    text = text[:10] + "(zhèng)" + text[10:]
    return "客服热线:0755-8882 8155\n" + text + "\n本文章内容来源于网络公开内容,仅供参考!"


def _page(record: dict[str, Any]) -> bytes:
    payload = json.dumps(record, ensure_ascii=False).replace("</", "<\\/")
    return (
        (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{t}</title></head>'
            '<body><h1>{t}</h1><div class="content">{b}</div>'
            '<script type="application/json" id="notice">{p}</script></body></html>'
        )
        .format(t=record["title"], b=(record.get("body") or "").replace("\n", "<br>"), p=payload)
        .encode()
    )


class Site:
    """Pages in memory, every request logged."""

    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {}
        self.hits: list[str] = []
        self.lock = threading.Lock()
        titles = (FIXTURES / "seed_titles.txt").read_text("utf-8").splitlines()
        assert len(titles) == 100
        self.titles = titles
        for n, title in enumerate(titles, 1):
            record: dict[str, Any] = {"title": title, "is_notice": True, "masked": False}
            if "标题和内容已经清空" in title:
                record["body"] = None
            elif title.startswith("我市以奖代补"):  # a repost of 高平市以奖代补…
                source = next(i for i, t in enumerate(titles, 1) if t.startswith("高平市以奖代补"))
                record["body"] = _repost(_body(source))
                record["masked"] = True
            else:
                record["body"] = _body(n)
            self.add(f"/news/{1000 + n}.html", record)

    def add(self, path: str, record: dict[str, Any]) -> None:
        record.setdefault("published", "2022-10-01")
        self.pages[path] = _page(record)
        links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in self.pages if p != "/list/")
        self.pages["/list/"] = f'<html><body><ul class="list">{links}</ul></body></html>'.encode()

    def detail_hits(self) -> Counter[str]:
        return Counter(p for p in self.hits if p != "/list/")


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            with state.lock:
                state.hits.append(self.path)
                body = state.pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"not found")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/list/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _run(
    workdir: Path, start_url: str, n: int, *settings: str
) -> tuple[dict[str, int], list[dict]]:
    """One scheduled run in a fresh process; its stats and the records it exported."""
    exports = workdir / "data" / "exports" / SPIDER
    before = set(exports.glob("*.jsonl")) if exports.exists() else set()
    stats_out = workdir / f"stats{n}.json"
    cmd = [sys.executable, "-m", "scrapy", "runspider", __file__, "-a", f"start_url={start_url}"]
    cmd += ["-a", f"stats_out={stats_out}"]
    for s in settings:
        cmd += ["-s", s]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "gazette.settings"}
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for marker in (
        "[scrapy.core.scraper] ERROR",
        "Error processing",
        'File "' + str(Path(__file__).parent.parent / "gazette" / "pipelines"),
    ):
        assert marker not in proc.stderr, proc.stderr[-3000:]
    new = sorted(set(exports.glob("*.jsonl")) - before)
    assert len(new) == 1, (new, proc.stderr[-2000:])  # one file per run
    records = [json.loads(line) for line in new[0].read_text("utf-8").splitlines()]
    time.sleep(1.05)  # the next run's file gets its own start time
    return json.loads(stats_out.read_text("utf-8")), records


def test_scheduled_runs_export_only_new_notices(site, tmp_path):
    pages, url = site
    g = "gazette/"

    # run 1: everything is new
    stats, records = _run(tmp_path, url, 1)
    # 100 - 4 placeholders - 1 repost = 95 notices; the export is a change feed: when the
    # repost arrives after its original and is the better copy, its notice's new revision
    # is a line more (the last line per id is the dataset's record)
    revised = stats.get(g + "dataset/revised", 0)
    assert revised <= 1 and len(records) == 95 + revised == stats[g + "exported"]
    assert stats[g + "dropped/placeholder"] == 4
    assert stats.get(g + "duplicates/near", 0) + stats.get(g + "duplicates/body", 0) == 1
    assert len({r["id"] for r in records}) == 95
    last = {r["id"]: r for r in records}
    dataset = tmp_path / "data" / "dataset" / "notices.jsonl"
    kept = {r["id"]: r for r in map(json.loads, dataset.read_text("utf-8").splitlines())}
    assert set(kept) == set(last) and all(
        kept[i]["revision"] == last[i]["revision"] and kept[i]["title"] == last[i]["title"]
        for i in kept
    )
    titles = {r["title"] for r in last.values()}
    assert not any("清空" in t for t in titles)
    pair = [t for t in pages.titles if "以奖代补加快推进社会足球场" in t]
    assert len(pair) == 2 and len(titles & set(pair)) == 1  # one id for the two copies
    assert all(set(complete({})) <= set(r) for r in records)
    assert (tmp_path / "data" / "state" / f"{SPIDER}.sqlite3").exists()

    # run 2: unchanged site, list page only, nothing exported
    stats, records = _run(tmp_path, url, 2)
    assert records == []
    assert stats.get(g + "exported", 0) == 0
    assert stats[g + "skipped/seen_detail"] == 100
    assert max(pages.detail_hits().values()) == 1  # no detail page fetched twice
    assert pages.hits.count("/list/") == 2

    # run 3: k new notices and k reposts of known ones
    k = 3
    known = [json.loads(_extract_json(pages.pages[f"/news/{1000 + n}.html"])) for n in (1, 2, 3)]
    for i in range(k):
        pages.add(
            f"/news/{2000 + i}.html",
            {"title": f"关于新增事项{i}的通知", "body": _body(5000 + i), "is_notice": True},
        )
        copy = {**known[i], "body": _repost(known[i]["body"]), "masked": True}
        pages.add(f"/repost/{i}.html", copy)
    stats, records = _run(tmp_path, url, 3)
    assert sorted(r["title"] for r in records) == [f"关于新增事项{i}的通知" for i in range(k)]
    duplicates = sum(
        stats.get(g + f"duplicates/{kind}", 0) for kind in ("url", "docno", "body", "near")
    )
    assert duplicates == k
    assert stats[g + "skipped/seen_detail"] == 100
    assert max(pages.detail_hits().values()) == 1

    # reset: start over, everything is fetched and exported again; a notice keeps its id
    # unless another copy of it happens to arrive first (the pair, the k reposts)
    first_ids = set()
    for f in sorted((tmp_path / "data" / "exports" / SPIDER).glob("*.jsonl")):
        first_ids |= {json.loads(line)["id"] for line in f.read_text("utf-8").splitlines()}
    stats, records = _run(tmp_path, url, 4, "GAZETTE_STATE_RESET=1")
    # (a better copy after a repost that came first: its notice's revision, a line more)
    assert len(records) == 95 + k + stats.get(g + "dataset/revised", 0)
    ids = {r["id"] for r in records}
    assert len(ids) == 95 + k and len(ids & first_ids) >= 95 + k - (1 + k)


def _extract_json(page: bytes) -> str:
    text = page.decode("utf-8")
    start = text.index('id="notice">') + len('id="notice">')
    return text[start : text.index("</script>", start)].replace("<\\/", "</")
