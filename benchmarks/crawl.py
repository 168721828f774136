"""Crawl benchmark: the full pipeline vs bare Scrapy on a generated local site.

    .venv/bin/python benchmarks/crawl.py [--notices 2000] [--per-page 20]

Generates a gov.cn-like site (``createPageHTML`` list pages + ``--notices`` distinct
notice pages with metadata tables; ``--style portal``, the default, wraps each notice
in a real portal page's navigation, share bar, related articles, footer and scripts,
about 18 KB with a 2,200-character notice; ``--style minimal`` is the 3 KB page with a
900-character notice) in a temp dir, serves it on 127.0.0.1, and
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
#: what ``--modes`` accepts: no extraction, extraction with the item path off, everything
MODES = ("bare", "extract", "full")
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
#: the 3,755 level-1 characters of GB 2312 (the common ones), for the rarer words
COMMON_CHARS = [bytes([0xB0 + i // 94, 0xA1 + i % 94]).decode("gb2312") for i in range(3755)]
#: ``--text varied``: the share of free-text words drawn from :data:`VOCAB`
VARIED_COMMON_SHARE = 0.5
OFFICES = ("国务院办公厅", "国务院", "国务院办公厅", "国务院")
DOCWORDS = {"国务院办公厅": ("国办发", "国办函"), "国务院": ("国发", "国函")}


NAV = {
    "国务院": ("宪法", "国务院组织机构", "国务院领导", "全体会议", "常务会议", "国务院工作规则"),
    "总理": ("最新", "讲话", "文章", "媒体报道", "视频", "音频"),
    "新闻": ("要闻", "专题", "政务联播", "新闻发布", "人事", "滚动"),
    "政策": ("最新", "国务院政策文件库", "政府信息公开", "政策解读", "国务院公报", "政府白皮书"),
    "互动": ("督查", "我向总理说句话", "政务服务投诉", "留言回复", "访谈", "征集调查"),
    "服务": ("国家政务服务平台", "部门服务", "地方服务", "便民服务", "政务服务", "服务专题"),
    "数据": ("宏观经济", "部门数据", "数据快递", "数据解读", "数据专题", "统计公报"),
    "国情": ("宪法", "国旗", "国歌", "国徽", "行政区划", "历史"),
    "专题": ("深化改革", "营商环境", "乡村振兴", "科技创新", "生态文明", "民生保障"),
}
FOOTER = (
    "中国政府网微博",
    "中国政府网微信",
    "中国政府网客户端",
    "网站说明",
    "网站纠错",
    "联系我们",
    "网站地图",
    "版权声明",
    "隐私政策",
    "全国人大",
    "全国政协",
    "国家监察委员会",
    "最高人民法院",
    "最高人民检察院",
    "国务院部门网站",
    "地方政府网站",
    "驻港澳机构网站",
    "驻外机构",
    "媒体",
    "中央企业网站",
)
STYLE = "\n".join(
    f".{name} {{ margin: 0 auto; padding: {i}px {i * 2}px; font-size: {12 + i % 6}px; "
    f"line-height: {20 + i}px; color: #{(i * 2713) % 0xFFFFFF:06x}; }}"
    for i, name in enumerate(
        "header nav nav_sub logo search crumb article title bd1 pages_content share editor "
        "related footer footer_links copyright icp mobile_nav qrcode top_bar lang".split()
    )
)
SCRIPT = """
var _gz_share = {site: 'benchmark', channels: ['weixin', 'weibo', 'qzone'], size: 16};
(function () {
  var items = document.querySelectorAll('.share a');
  for (var i = 0; i < items.length; i++) {
    items[i].addEventListener('click', function (e) {
      e.preventDefault();
      var ch = this.getAttribute('data-ch');
      window.open('/share?ch=' + ch + '&u=' + encodeURIComponent(location.href));
    });
  }
  var size = document.querySelectorAll('.font-size a');
  for (var j = 0; j < size.length; j++) {
    size[j].onclick = function () {
      document.getElementById('UCAP-CONTENT').style.fontSize = this.getAttribute('data-px') + 'px';
    };
  }
})();
function _gz_stat(site, page) {
  var img = new Image();
  img.src = '/stat.gif?s=' + site + '&p=' + encodeURIComponent(page) + '&r=' + Math.random();
}
_gz_stat('benchmark', location.pathname);
"""


def _title(n: int) -> str:
    """A stand-in title of notice ``n`` (related-article lists)."""
    office = OFFICES[n % len(OFFICES)]
    return f"{office}关于{PHRASES[n % len(PHRASES)]}{ACTIONS[n % len(ACTIONS)]}的通知（{n}）"


def _portal(title: str, content: str, meta: str, n: int, year: int) -> str:
    """The chrome of a real portal page around ``content``: head metas, styles and
    scripts, navigation, breadcrumb, share bar, related articles, footer (modelled on
    the www.gov.cn policy-library page: about 25 KB, against 2-3 KB of notice text)."""
    nav = "\n".join(
        f'<li class="nav_item"><a href="/{i}/">{top}</a><ul class="nav_sub">'
        + "".join(f'<li><a href="/{i}/{j}/">{sub}</a></li>' for j, sub in enumerate(subs))
        + "</ul></li>"
        for i, (top, subs) in enumerate(NAV.items())
    )
    related = "\n".join(
        f'<li><a href="/zhengce/content/{year}-01/01/content_{5000000 + m}.htm">{_title(m)}</a>'
        f"<span>{year}-01-{1 + m % 28:02d}</span></li>"
        for m in (n + 1, n + 7, n + 13, n + 29, n + 31, n + 37, n + 41, n + 53)
    )
    footer = " | ".join(f'<a href="/about/{i}.htm">{name}</a>' for i, name in enumerate(FOOTER))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}_国务院文件_中国政府网（基准测试）</title>
{meta}
<link rel="stylesheet" href="/css/common.css"><link rel="stylesheet" href="/css/article.css">
<style>
{STYLE}
</style>
<script src="/js/jquery.min.js"></script>
<script>{SCRIPT}</script>
</head>
<body>
<div class="top_bar"><a href="/wza/">无障碍</a> <a href="/big5/">繁体</a>
<a href="/english/">English</a> <a href="/login/">登录</a> <a href="/m/">手机版</a></div>
<div class="header"><div class="logo"><a href="/"><img src="/images/logo.png" alt="中国政府网"></a></div>
<form class="search" action="/search/"><input name="q" placeholder="请输入关键字">
<button type="submit">搜索</button></form>
<ul class="nav">{nav}</ul></div>
<div class="crumb"><a href="/">首页</a> &gt; <a href="/3/">政策</a> &gt;
<a href="/zhengce/zhengceku/">国务院政策文件库</a> &gt; 国务院文件</div>
<div class="article">
{content}
<div class="share">分享到：<a href="#" data-ch="weixin">微信</a> <a href="#" data-ch="weibo">微博</a>
<a href="#" data-ch="qzone">QQ空间</a>
<span class="font-size">字号：<a href="#" data-px="18">大</a> <a href="#" data-px="16">中</a>
<a href="#" data-px="14">小</a></span>
<a href="/wzjc/">【我要纠错】</a> <a href="javascript:window.print()">【打印本页】</a>
<a href="javascript:window.close()">【关闭窗口】</a></div>
<div class="editor">责任编辑：基准</div>
<div class="related"><h3>相关稿件</h3><ul>
{related}
</ul></div>
</div>
<div class="footer"><div class="footer_links">{footer}</div>
<div class="copyright">主办单位：基准测试站点（内容系生成） 网站标识码 bm00000000</div>
<div class="icp">京ICP备00000000号 京公网安备00000000000000号</div>
<div class="qrcode"><img src="/images/qr.png" alt="扫一扫在手机上查看当前页面"></div></div>
<script>_gz_stat('benchmark-footer', location.pathname);</script>
</body></html>
"""


def _word(rng: random.Random, text: str) -> str:
    if text == "templated" or rng.random() < VARIED_COMMON_SHARE:
        return rng.choice(VOCAB)
    return "".join(rng.choices(COMMON_CHARS, k=rng.randint(2, 4)))


def notice_page(
    n: int, rng: random.Random, style: str = "portal", text: str = "varied"
) -> tuple[str, str, str]:
    """(relative path, title, html) of the n-th generated notice.

    ``portal``: a page the size and shape of a real government portal's (navigation,
    metadata table, 2-3 KB of notice text, share bar, related articles, footer,
    scripts: about 25 KB); ``minimal``: the metadata table and the notice only (3 KB).

    The free text is made of words: ``templated`` draws them all from the 560
    compound words of :data:`VOCAB`, so that any two notices share about 22% of
    their 5-character shingles (estimated Jaccard) and every notice has LSH
    candidates; ``varied`` draws half of them from :data:`VOCAB` and half as
    2-4 random common characters: any two share about 8%, still more than
    distinct real notices do (the labelled corpus: median 0, templated series
    up to 19%).
    """
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
    # free text keeps the generated notices apart for dedup; a real notice runs to a
    # few thousand characters
    for _ in range(3 if style == "minimal" else 9):
        if text == "templated":  # the word draws of the first generator, kept as they were
            paras.append("，".join(rng.sample(VOCAB, 24)) + "。")
        else:
            # shorter words on average: more of them for a notice of the same length
            paras.append("，".join(_word(rng, text) for _ in range(34)) + "。")
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    path = f"zhengce/content/{year}-{month:02d}/{day:02d}/content_{5000000 + n}.htm"
    table = f"""<table class="bd1">
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
</div>"""
    if style == "minimal":
        page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}_国务院文件</title></head>
<body>
<div class="header"><a href="/">首页</a> <a href="/zhengce/zhengceku/">政策库</a></div>
{table}
<div class="footer">基准测试站点，内容系生成</div>
</body></html>
"""
    else:
        meta = (
            f'<meta name="ArticleTitle" content="{title}">\n'
            f'<meta name="PubDate" content="{year}-{month:02d}-{day:02d} 10:00">\n'
            f'<meta name="ContentSource" content="{office}">\n'
            f'<meta name="keywords" content="{a},{b},{c}">\n'
            f'<meta name="description" content="{title}">'
        )
        page = _portal(title, table, meta, n, year)
    return path, title, page


def generate_site(
    root: Path, notices: int, per_page: int, style: str = "portal", text: str = "varied"
) -> int:
    """Write the site; → number of list pages."""
    rng = random.Random(20240222)
    items = []
    for n in range(notices):
        path, title, page = notice_page(n, rng, style, text)
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
    parser.add_argument(
        "--style",
        choices=("portal", "minimal"),
        default="portal",
        help="notice pages: 'portal' (a real portal's chrome, 18 KB) or 'minimal' (3 KB)",
    )
    parser.add_argument(
        "--text",
        choices=("varied", "templated"),
        default="varied",
        help="free text of the notices: 'varied' (any two share about 8%% of their "
        "shingles) or 'templated' (about 22%%: every notice has near-duplicate candidates)",
    )
    parser.add_argument(
        "--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}"
    )
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
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        parser.error(f"--modes: unknown {', '.join(unknown)} (choose from {', '.join(MODES)})")

    from gazette.demo import serve

    rounds: list[dict[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="gazette-bench-") as tmp:
        site = Path(tmp) / "site"
        work = Path(tmp) / "work"
        work.mkdir()
        lists = generate_site(site, args.notices, args.per_page, args.style, args.text)
        print(
            f"site: {args.notices} {args.style} notice pages ({args.text} text), "
            f"{lists} list pages",
            file=sys.stderr,
        )
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
