"""Benchmark the dedup stage: throughput, memory, duplicate precision/recall.

    .venv/bin/python benchmarks/dedup.py            # 100,000 notices
    .venv/bin/python benchmarks/dedup.py --n 5000   # quick run

Generates ``n`` notices (deterministic, from ``--seed``): four fifths are
distinct notices (about half with a 发文字号, and a few "siblings" that share
a template body under a different 文号 and must stay separate), one fifth are
reposted variants of an earlier notice: traditional characters, ``***``/``■``
masks, ``[2013]``/``(2013)`` brackets, Chinese date numerals, chrome lines
(hotline, byline, disclaimer), pinyin glosses, a dropped 文号, on a
non-government host. Each record goes through
:class:`gazette.dedup.rules.Deduplicator` on a fresh SQLite state file with one
commit per 100 items, as in a crawl (the exporter commits before each batch of
up to ``GAZETTE_EXPORT_FLUSH_EVERY`` = 100 lines; ``--commit-every 1`` is a
crawl whose feeds are not all gazette exporters).

Prints items/s, peak RSS, precision and recall of the duplicate verdicts on
the known variants, and the mean per-item CPU cost over the 5,000 items before
the 10,000th and before the n-th (ratio). Figures only: no pass/fail.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from gazette.dedup.rules import Deduplicator  # noqa: E402
from gazette.state.sqlite import SQLiteState  # noqa: E402

# Characters that have distinct traditional forms, plus common ones.
CHARS = (
    "关于进一步加强政府信息公开回应社会关切提升公信力意见通知各地级以上市人民县区省部门直属机构现将转发给你们经同"
    "意结合我实际提出以下请一并贯彻执行强化新闻发布会在重要中的主渠道作用办公室围绕点工作和公众注热问题及时组织"
    "建设成积极参加其与宏观经济民生系密切事项较多负责志原则上每年应出席次言人或相至少季度开展动增自频特别是职能"
    "举充分挥网站平台优势做好权威行审批财预算决三公费保障性住房食品药品安全环境护生产价格收征拆迁共企单位等领域"
    "以群体突件互深化法规出重署后针对解读接受建献策反映情况有区导主到线访谈规范采集编辑核享流程保密查高防技术水"
    "平联通快推进业务系统向基层延伸新媒微博信登记复续监督管理时效联网委指研究制定全办探索热服模式机制专家队伍科"
    "学性沟舆析联席议度研判论引应急协调报健媒务形成网下境内外宣速追究坚持谁严重失实误造良果追目标任落农村镇街道"
    "社区村民委员会教育卫健康交运输水利自然资源态应急管理市场监督税务统计审计医疗障退役军人文化旅游体育科信息"
)
WORDS_SEED = 20240501
PINYIN = ["fā", "zhèng", "guó", "wù", "yuàn", "nán", "shā", "jiā", "qiáng", "gōng", "kāi", "xìn"]
MASKS = ["***", "＊＊", "■■", "××", "□□□"]
CHROME_TOP = [
    "客服热线:0755-8882 8155",
    "Admin - admin 于2022年05月27日发表",
    "来源：某某人力资讯网",
]
CHROME_END = [
    "本文章内容来源于网络公开内容,仅供参考!不对文章内容时效、真实性负责",
    "【打印本页】【关闭窗口】",
    "上一篇：关于做好节假日值班工作的通知",
]
ISSUERS = [
    f"{p}{s}"
    for p in (
        "广东省",
        "福建省",
        "浙江省",
        "甘肃省",
        "山西省",
        "平潭综合实验区",
        "深圳市",
        "广州市",
    )
    for s in (
        "人民政府办公厅",
        "教育厅",
        "财政厅",
        "发展和改革委员会",
        "卫生健康委员会",
        "交通运输厅",
    )
]
DAIZI = ["粤府办", "闽政", "浙政发", "甘发改", "晋卫", "岚综管办", "深府", "穗财", "粤教", "闽交"]
CN_DIGITS = "〇一二三四五六七八九"


def _vocab() -> list[str]:
    rnd = random.Random(WORDS_SEED)
    return [
        "".join(rnd.choice(CHARS) for _ in range(rnd.choice((2, 2, 3, 4)))) for _ in range(6000)
    ]


VOCAB = _vocab()


def _cn_date(y: int, m: int, d: int) -> str:
    def small(n: int) -> str:
        if n < 10:
            return CN_DIGITS[n]
        tens, units = divmod(n, 10)
        return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[units] if units else "")

    return "".join(CN_DIGITS[int(c)] for c in str(y)) + f"年{small(m)}月{small(d)}日"


def base_notice(i: int) -> dict[str, Any]:
    """The ``i``-th distinct notice (deterministic)."""
    rnd = random.Random(i * 7919 + 17)
    sibling_of = i - 1 if i > 0 and i % 50 == 0 else None  # 2%: same template, other 文号
    tmpl = random.Random((sibling_of if sibling_of is not None else i) * 7919 + 17)
    year = 2010 + tmpl.randrange(14)
    m, d = tmpl.randrange(1, 13), tmpl.randrange(1, 29)
    issuer = tmpl.choice(ISSUERS)
    paras = []
    for _ in range(tmpl.randrange(5, 12)):
        sent = "".join(tmpl.choice(VOCAB) for _ in range(tmpl.randrange(12, 30)))
        paras.append(sent + "。")
    body = "各有关单位：\n" + "\n".join(paras) + f"\n{issuer}\n{year}年{m}月{d}日"
    has_no = sibling_of is not None or i % 2 == 0 or (i + 1) % 50 == 0
    # the 代字 names the issuer; a sibling is the same office's next document
    daizi = DAIZI[ISSUERS.index(issuer) % len(DAIZI)] + "字" * (ISSUERS.index(issuer) // len(DAIZI))
    docno = f"{daizi}〔{year}〕{i + 1}号"
    if sibling_of is not None:
        body = body.replace("各有关单位", f"{rnd.choice(ISSUERS)}")
    title = "关于" + "".join(tmpl.choice(VOCAB) for _ in range(4)) + "的通知"
    return {
        "url": f"https://www.example{i % 40}.gov.cn/zwgk/{year}{m:02d}/t{year}{m:02d}{d:02d}_{i}.html",
        "site": f"www.example{i % 40}.gov.cn",
        "title": title,
        "doc_number": docno if has_no else None,
        "doc_number_raw": docno if has_no else None,
        "issuer": issuer,
        "date": f"{year}-{m:02d}-{d:02d}",
        "body": body,
        "is_notice": True,
        "masked": False,
    }


def _t2s_inverse() -> Any:
    import opencc

    return opencc.OpenCC("s2t")


S2T = _t2s_inverse()


def variant(rec: dict[str, Any], rnd: random.Random, k: int) -> dict[str, Any]:
    """A reposted copy of ``rec`` with some of the usual surface changes."""
    r = dict(rec)
    body = r["body"]
    kinds = rnd.sample(
        ["trad", "mask", "bracket", "numeral", "chrome", "pinyin"], rnd.randrange(2, 5)
    )
    if "numeral" in kinds:
        y, m, d = (int(x) for x in r["date"].split("-"))
        body = body.replace(f"{y}年{m}月{d}日", _cn_date(y, m, d))
    if "mask" in kinds:
        words = [w for w in VOCAB[:2000] if w in body]
        for w in rnd.sample(words, min(len(words), rnd.randrange(2, 7))):
            body = body.replace(w, rnd.choice(MASKS), 1)
        r["masked"] = True
    if "pinyin" in kinds:
        chars = list(body)
        for _ in range(rnd.randrange(2, 8)):
            j = rnd.randrange(len(chars))
            if "\u4e00" <= chars[j] <= "\u9fff":
                chars[j] += f"({rnd.choice(PINYIN)})"
        body = "".join(chars)
    if "chrome" in kinds:
        body = rnd.choice(CHROME_TOP) + "\n" + body + "\n" + rnd.choice(CHROME_END)
    if r["doc_number"]:
        raw = r["doc_number"]
        if "bracket" in kinds:
            raw = raw.replace("〔", rnd.choice("[(【")).replace("〕", "]")
        body = raw + "\n" + body
        r["doc_number_raw"] = raw
        if rnd.random() < 0.4:  # the repost's extractor missed the 文号
            r["doc_number"] = None
    if "trad" in kinds:
        body = S2T.convert(body)
        r["title"] = S2T.convert(r["title"])
        r["issuer"] = S2T.convert(r["issuer"])
    r["body"] = body
    r["url"] = f"http://news.repost{k % 97}.com/a/{k}.html?utm_source=feed"
    r["site"] = f"news.repost{k % 97}.com"
    return r


def stream(n: int, seed: int) -> Iterator[tuple[dict[str, Any], int | None]]:
    """``(record, index of the original)`` for variants, ``(record, None)`` for originals."""
    rnd = random.Random(seed)
    bases = 0
    for k in range(n):
        if bases > 10 and rnd.random() < 0.2:
            j = rnd.randrange(bases)
            if j % 50 == 0 and j:  # keep the truth simple: no variants of siblings
                j -= 1
            yield variant(base_notice(j), rnd, k), j
        else:
            yield base_notice(bases), None
            bases += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="notices to push (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--state", help="SQLite file to use (default: a temporary one)")
    parser.add_argument(
        "--commit-every",
        type=int,
        default=100,
        help="commit the state every N items (default 100: a crawl commits once per "
        "export batch; 1: a crawl with a feed that is not a gazette exporter)",
    )
    args = parser.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="gazette-bench-")
    path = args.state or os.path.join(tmp.name, "bench.sqlite3")
    state = SQLiteState(path, reset=True)
    dedup = Deduplicator(state)

    ids: dict[int, str] = {}  # base index -> id (ints + short str: ~100 bytes each)
    base_no = 0
    tp = fp = fn = 0
    variants = 0
    times: list[float] = []  # CPU seconds per item (robust to other load on the machine)
    total = 0.0
    wall = 0.0
    for record, original in stream(args.n, args.seed):
        w0, t0 = time.perf_counter(), time.process_time()
        verdict = dedup.check(record)
        if len(times) % args.commit_every == 0:
            state.commit()
        dt = time.process_time() - t0
        wall += time.perf_counter() - w0
        total += dt
        times.append(dt)
        if original is None:
            ids[base_no] = verdict.id
            base_no += 1
            if verdict.duplicate:
                fp += 1
        else:
            variants += 1
            if verdict.duplicate and verdict.id == ids[original]:
                tp += 1
            else:
                fn += 1
                if verdict.duplicate:
                    fp += 1
    state.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def window_us(end: int) -> float:
        width = max(1, min(end, 5000))
        part = times[max(0, end - width) : end]
        return 1e6 * sum(part) / len(part)

    n = len(times)
    print(f"items: {n} ({variants} reposted variants, {base_no} distinct notices)")
    print(
        f"throughput: {n / total:,.0f} items/s of CPU time, {n / wall:,.0f} items/s wall"
        f" (dedup stage, one core, commit every {args.commit_every} item(s))"
    )
    print(f"peak RSS: {peak_mb:,.0f} MB")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / variants if variants else 1.0
    print(f"duplicate precision: {precision:.4f} (false duplicates: {fp})")
    print(f"duplicate recall: {recall:.4f} (missed variants: {fn})")
    if n >= 10_000:
        small, large = window_us(10_000), window_us(n)
        print(
            f"per-item cost: {small:.0f} us at 10k, {large:.0f} us at {n // 1000}k"
            f" (ratio {large / small:.2f})"
        )
    else:
        print(f"per-item cost: {window_us(n):.0f} us at {n}")
    print(f"state file: {os.path.getsize(path) / 1e6:.1f} MB" if os.path.exists(path) else "")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
