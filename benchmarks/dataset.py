"""Dataset build and incremental update: time and peak memory.

    .venv/bin/python benchmarks/dataset.py [--n 100000] [--new 0.01]

1. **build**: N records (one copy each, ~600-character bodies, 文号, references
   between them) added to a fresh store, then ``notices.jsonl`` and
   ``notices.csv`` written;
2. **incremental**: ``--new`` × N more copies (half new notices, half better
   copies of known ones, with attachments) added to that store, files rewritten;
3. **rebuild**: a fresh store from all N × (1 + new) copies, files written.

Each phase runs in its own process (peak RSS is that process's). Printed: the
seconds of the store part and of the files part, the peak RSS, and the ratio
rebuild / incremental.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

WORDS = (
    "各地区各部门要认真贯彻落实国务院决策部署，加强组织领导，明确责任分工，"
    "完善工作机制，强化监督检查，确保各项政策措施落到实处，取得实效。"
)


def record(i: int, copy: bool = False) -> dict[str, Any]:
    rnd = random.Random(i)
    body = "\n".join(WORDS[rnd.randrange(10) :] + f"第{i}号文件第{k}段。" for k in range(8))
    year = 2000 + i % 25
    rec: dict[str, Any] = {
        "id": f"g{i:020x}",
        "url": f"http://www.gd.gov.cn/zwgk/{i}.html",
        "site": "www.gd.gov.cn",
        "spider": ("gd_gkmlpt", "gov_cn", "site")[i % 3],
        "title": f"关于第{i}项工作的{('通知', '意见', '决定', '办法')[i % 4]}",
        "doc_number": f"粤府办〔{year}〕{i}号",
        "doc_number_raw": f"粤府办〔{year}〕{i}号",
        "issuer": ("广东省人民政府办公厅", "国务院办公厅", "广州市人民政府")[i % 3],
        "co_issuers": [],
        "date": f"{year}-0{1 + i % 9}-1{i % 10}",
        "published": None,
        "recipients": ["各地级以上市人民政府"],
        "references": [f"粤府办〔{2000 + (i // 7) % 25}〕{i // 7}号"] if i % 5 == 0 else [],
        "attachments": [],
        "index_number": None,
        "topic": None,
        "body": body,
        "is_notice": True,
        "masked": False,
        "fetched_at": "2024-05-01T08:00:00+00:00",
    }
    if copy:  # a repost: masked, but it carries the attachments
        rec.update(
            url=f"http://repost.example.com/{i}.html",
            site="repost.example.com",
            masked=True,
            fetched_at="2024-06-01T08:00:00+00:00",
            attachments=[{"title": "附件1", "url": f"http://www.gd.gov.cn/f/{i}.doc"}],
        )
    return rec


def first(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield record(i)


def later(n: int, share: float) -> Iterator[dict[str, Any]]:
    k = int(n * share)
    for j in range(k):
        yield record(n + j) if j % 2 else record((j * 7919) % n, copy=True)


def phase(name: str, directory: str, n: int, share: float) -> dict[str, Any]:
    from gazette.dataset.files import materialize
    from gazette.dataset.store import Store

    if name == "rebuild":
        shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)
    store = Store(os.path.join(directory, "store.sqlite3"))
    t0 = time.perf_counter()
    if name == "build":
        store.add_many(first(n))
    elif name == "incremental":
        store.add_many(later(n, share))
    else:
        store.add_many(first(n))
        store.add_many(later(n, share))
    t1 = time.perf_counter()
    manifest = materialize(directory, store)
    t2 = time.perf_counter()
    store.close()
    return {
        "phase": name,
        "store_s": round(t1 - t0, 2),
        "files_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2),
        "notices": manifest["notices"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--new", type=float, default=0.01, help="share of new copies")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.dir, args.n, args.new)))
        return
    results = {}
    with tempfile.TemporaryDirectory(prefix="gazette-dataset-bench-") as tmp:
        for name, sub in (("build", "a"), ("incremental", "a"), ("rebuild", "b")):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--phase",
                    name,
                    "--dir",
                    os.path.join(tmp, sub),
                    "--n",
                    str(args.n),
                    "--new",
                    str(args.new),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
            r = results[name]
            print(
                f"{name:<12} store {r['store_s']:>7.2f} s  files {r['files_s']:>6.2f} s  "
                f"total {r['total_s']:>7.2f} s  notices {r['notices']:>7}  peak RSS {r['peak_rss_mb']} MB"
            )
    inc, full = results["incremental"], results["rebuild"]
    print(
        f"rebuild / incremental: store {full['store_s'] / max(inc['store_s'], 1e-3):.0f}x, "
        f"with the files {full['total_s'] / max(inc['total_s'], 1e-3):.1f}x "
        f"({int(args.n * args.new)} new copies against {args.n} records)"
    )


if __name__ == "__main__":
    main()
