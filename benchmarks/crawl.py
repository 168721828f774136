"""Crawl benchmark: the full pipeline vs bare Scrapy on a generated local site.

    .venv/bin/python benchmarks/crawl.py [--notices 2000] [--per-page 20]

Generates a gov.cn-like site (``createPageHTML`` list pages + ``--notices`` distinct
notice pages with metadata tables) in a temp dir, serves it on 127.0.0.1, and
crawls it, each run in its own subprocess (fresh reactor), in the same session:

* ``bare``: the same spider and link following, but each detail page yields
  ``{"url": ...}``: no extraction, no pipelines, no feed export (bare Scrapy);
* ``extract``: extraction on, pipelines and export off (where the time goes);
* ``full``: the real ``gov_cn`` spider with the project's settings, pipelines
  (filter, normalize, validate, dedup with its state) and feed export.

Politeness is switched off for all runs alike (no AutoThrottle, no delay,
32 concurrent requests): this measures our per-page cost, not the network.
``--repeat`` rounds (default 3) run the modes in turn; prints pages/min of every run,
the median per mode and the median of the per-round ratios full / pipelines off (the
goal: >= 90%) and full / bare.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHRASES = (
    "政务公开",
    "营商环境",
    "安全生产",
    "防汛抗旱",
    "乡村振兴",
    "数字政府",
    "生态保护",
    "就业创业",
    "养老服务",
    "医疗保障",
    "城市更新",
    "交通运输",
    "文物保护",
    "森林防火",
    "食品安全",
    "消防安全",
    "科技创新",
    "职业教育",
    "公共数据",
    "住房保障",
    "农田水利",
    "节能降碳",
    "物流体系",
    "社区治理",
    "旅游消费",
    "水资源管理",
    "海洋经济",
    "标准化建设",
)
ACTIONS = (
    "统筹推进",
    "加快建设",
    "完善机制",
    "强化监管",
    "优化服务",
    "落实责任",
    "试点示范",
    "专项整治",
    "绩效评价",
    "资金保障",
    "信息共享",
    "宣传引导",
    "督查考核",
    "风险防控",
    "人才培养",
    "标准制定",
    "数据归集",
    "应急处置",
    "政策衔接",
    "协同联动",
)
VOCAB = [a + b for a in PHRASES for b in ACTIONS]
OFFICES = ("国务院办公厅", "国务院", "国务院办公厅", "国务院")
DOCWORDS = {"国务院办公厅": ("国办发", "国办函"), "国务院": ("国发", "国函")}


def notice_page(n: int, rng: random.Random) -> tuple[str, str, str]:
    """(relative path, title, html) of the n-th generated notice."""
    a, b, c = rng.sample(PHRASES, 3)
    office = OFFICES[n % len(OFFICES)]
    word = DOCWORDS[office][n % 2]
    year = 2015 + n % 10
    month, day = 1 + n % 12, 1 + n % 28
    docno = f"{word}〔{year}〕{n + 1}号"
    title = f"{office}关于进一步加强{a}和{b}工作的通知（{n}）"
    paras = [
        f"为做好{a}工作，推动{b}与{c}协同发展，经研究，现就第{n}项有关事项通知如下。",
        f"一、各地区要在{year}年{month}月底前完成{a}专项排查，建立问题清单{n * 7 % 97}项并逐项整改。",
        f"二、有关部门要加强{b}统筹，安排专项资金{n * 13 % 900 + 100}万元，支持{c}试点{n % 9 + 1}个。",
        f"三、强化督促检查，对{a}工作成效明显的地区给予表扬，对工作不力的{n % 5 + 1}类情形严肃问责。",
    ]
    for _ in range(3):  # free text: keeps the generated notices apart for dedup
        paras.append("，".join(rng.sample(VOCAB, 24)) + "。")
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    path = f"zhengce/content/{year}-{month:02d}/{day:02d}/content_{5000000 + n}.htm"
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}_国务院文件</title></head>
<body>
<div class="header"><a href="/">首页</a> <a href="/zhengce/zhengceku/">政策库</a></div>
<table class="bd1">
<tr><td><b>索　引　号：</b></td><td>000014349/{year}-{n:05d}</td><td><b>主题分类：</b></td><td>综合政务</td></tr>
<tr><td><b>发文机关：</b></td><td>{office}</td><td><b>成文日期：</b></td><td>{year}年{month:02d}月{day:02d}日</td></tr>
<tr><td><b>标　　题：</b></td><td colspan="3">{title}</td></tr>
<tr><td><b>发文字号：</b></td><td>{docno}</td><td><b>发布日期：</b></td><td>{year}年{month:02d}月{day:02d}日</td></tr>
</table>
<div class="pages_content" id="UCAP-CONTENT">
<p style="text-align:center">{docno}</p>
<p>各省、自治区、直辖市人民政府，国务院各部委、各直属机构：</p>
{body}
<p style="text-align:right">{office}</p>
<p style="text-align:right">{year}年{month}月{day}日</p>
</div>
<div class="footer">基准测试站点，内容系生成</div>
</body></html>
"""
    return path, title, page


def generate_site(root: Path, notices: int, per_page: int) -> int:
    """Write the site; → number of list pages."""
    rng = random.Random(20240222)
    items = []
    for n in range(notices):
        path, title, page = notice_page(n, rng)
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
        items.append((path, title))
    pages = (notices + per_page - 1) // per_page
    lists = root / "zhengce" / "zhengceku"
    lists.mkdir(parents=True, exist_ok=True)
    for p in range(pages):
        chunk = items[p * per_page : (p + 1) * per_page]
        lis = "\n".join(f'<li><a href="../../{path}">{title}</a></li>' for path, title in chunk)
        name = "index.htm" if p == 0 else f"index_{p}.htm"
        (lists / name).write_text(
            f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>政策库</title></head>
<body><ul>
{lis}
</ul>
<script>createPageHTML({pages}, {p}, "index", "htm");</script>
</body></html>
""",
            encoding="utf-8",
        )
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    return pages


# -- child process ---------------------------------------------------------------------
def child(mode: str, start_url: str, workdir: str, latency_arg: str = "0") -> None:
    """Run one crawl (``bare`` / ``extract`` / ``full``) and write its stats."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "gazette.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from gazette.spiders.gov_cn import GovCnSpider

    class BareSpider(GovCnSpider):
        name = "gov_cn_bare"

        def parse_detail(self, response: Any) -> Any:
            yield {"url": response.url}

    work = Path(workdir)
    latency = float(latency_arg)
    settings = get_project_settings()
    overrides: dict[str, Any] = {
        "LOG_LEVEL": "WARNING",
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": 32,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
        "GAZETTE_STATE_PATH": str(work / f"{mode}.state.sqlite3"),
        "GAZETTE_STATE_RESET": True,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_INSTALL_ROOT_HANDLER": True,
        "GAZETTE_SUMMARY_PRINT": False,  # the summary JSON is still written
    }
    if latency > 0:  # a remote site: the project's per-domain concurrency applies
        del overrides["CONCURRENT_REQUESTS_PER_DOMAIN"]
    if mode in ("bare", "extract"):
        overrides["ITEM_PIPELINES"] = {}
        overrides["FEEDS"] = {}
        overrides["SPIDERMON_ENABLED"] = False
    else:
        overrides["FEEDS"] = {
            str(work / "full.jsonl"): {"format": "jsonlines", "encoding": "utf-8"}
        }
    # extra settings for experiments, e.g. GAZETTE_BENCH_SETTINGS='{"FEEDS": {}}'
    overrides.update(json.loads(os.environ.get("GAZETTE_BENCH_SETTINGS") or "{}"))
    for key, value in overrides.items():
        settings.set(key, value, priority="cmdline")
    process = CrawlerProcess(settings)
    spider_cls = BareSpider if mode == "bare" else GovCnSpider
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler, start_url=start_url)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    (work / f"{mode}.stats.json").write_text(json.dumps(stats, default=str), encoding="utf-8")


def run(
    mode: str, start_url: str, workdir: Path, timeout: float, latency: float = 0.0
) -> dict[str, Any]:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, __file__, "--child", mode, start_url, str(workdir), str(latency)],
        check=True,
        timeout=timeout,
        cwd=str(ROOT),
    )
    wall = time.monotonic() - started
    stats = json.loads((workdir / f"{mode}.stats.json").read_text(encoding="utf-8"))
    pages = int(stats.get("response_received_count", 0))
    seconds = float(stats.get("elapsed_time_seconds") or wall)
    return {
        "mode": mode,
        "pages": pages,
        "items": int(stats.get("item_scraped_count", 0)),
        "seconds": round(seconds, 2),
        "pages_per_min": round(pages / seconds * 60) if seconds else 0,
    }


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        child(*argv[1:5])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notices", type=int, default=2000)
    parser.add_argument("--per-page", type=int, default=20)
    parser.add_argument("--modes", default="bare,extract,full")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="rounds; each round runs every mode once, in turn (the ratios are taken per "
        "round, so a machine that speeds up or slows down between rounds skews less)",
    )
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds the server waits per response (models a remote site; the project's "
        "CONCURRENT_REQUESTS_PER_DOMAIN then applies)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    modes = args.modes.split(",")

    from gazette.demo import serve

    rounds: list[dict[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="gazette-bench-") as tmp:
        site = Path(tmp) / "site"
        work = Path(tmp) / "work"
        work.mkdir()
        lists = generate_site(site, args.notices, args.per_page)
        print(f"site: {args.notices} notice pages, {lists} list pages", file=sys.stderr)
        with serve(site, latency=args.latency) as base:
            start_url = f"{base}/zhengce/zhengceku/index.htm"
            for n in range(max(1, args.repeat)):
                done: dict[str, dict[str, Any]] = {}
                for mode in modes:
                    result = run(mode, start_url, work, args.timeout, args.latency)
                    done[mode] = result
                    print(
                        f"round {n + 1}  {mode:<8} {result['pages']:>6} pages "
                        f"{result['items']:>6} items {result['seconds']:>8.2f} s "
                        f"{result['pages_per_min']:>9} pages/min",
                        file=sys.stderr,
                    )
                rounds.append(done)

    def ratios(a: str, b: str) -> list[float]:
        return [
            r[a]["pages_per_min"] / r[b]["pages_per_min"]
            for r in rounds
            if a in r and b in r and r[b]["pages_per_min"]
        ]

    # the comparison: the full pipeline vs the same crawl with item pipelines
    # and export off ("extract": the spiders still produce their items); and, for
    # the record, vs a crawl that does no extraction at all ("bare")
    vs_off, vs_bare = ratios("full", "extract"), ratios("full", "bare")
    summary = {
        mode: _median([r[mode]["pages_per_min"] for r in rounds if mode in r]) for mode in modes
    }
    if args.json:
        print(
            json.dumps(
                {
                    "rounds": [list(r.values()) for r in rounds],
                    "median_pages_per_min": summary,
                    "full_vs_pipelines_off": vs_off and _median(vs_off),
                    "full_vs_pipelines_off_rounds": vs_off,
                    "full_vs_bare": vs_bare and _median(vs_bare),
                },
                indent=2,
            )
        )
        return 0
    for mode in modes:
        print(f"{mode:<8} median {summary[mode]:>9.0f} pages/min")
    if vs_off:
        verdict = "meets" if _median(vs_off) >= 0.9 else "misses"
        each = ", ".join(f"{x:.1%}" for x in vs_off)
        print(
            f"full / pipelines off = {_median(vs_off):.1%} median of {len(vs_off)} rounds "
            f"({each}): {verdict} the 90% goal"
        )
    if vs_bare:
        print(f"full / bare (no extraction) = {_median(vs_bare):.1%} median")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
