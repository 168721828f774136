"""gazette.dedup.hashing: the helper process gives the in-process prints, in order, and
a failed helper leaves the crawl hashing in its own process."""

from __future__ import annotations

import asyncio
import io
import pickle

import pytest

from gazette.dedup.hashing import _LEN, HashingWorker, serve
from gazette.dedup.rules import MinHasher, body_prints

BODIES = [
    None,
    "",
    "短",
    "粤府办〔2013〕52号\n各地级以上市人民政府，省政府各部门、各直属机构：\n" * 3,
    "滬府發〔2017〕92號 各區人民政府，市政府各委、辦、局：現將有關事項通知如下。" * 4,
    "\n".join(f"第{i}条 本办法自印发之日起施行，有效期五年。" for i in range(60)),
]


def test_the_helper_gives_the_in_process_prints_in_order():
    hasher = MinHasher()

    async def main():
        worker = HashingWorker(hasher, start_after=0)
        assert worker.ready()  # started; prints() waits for it
        got = await asyncio.gather(*(worker.prints(b) for b in BODIES * 5))
        assert worker.proc is not None and worker.proc.returncode is None
        await worker.close()
        assert worker.proc.returncode == 0
        return got

    assert asyncio.run(main()) == [body_prints(b, hasher) for b in BODIES * 5]


def test_the_helper_outlives_ctrl_c_and_ends_with_its_stdin():
    import signal

    async def main():
        worker = HashingWorker(MinHasher(), start_after=0)
        worker.ready()
        assert await worker.prints("正文" * 30)
        worker.proc.send_signal(signal.SIGINT)
        worker.proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.2)
        assert await worker.prints("正文" * 31) == body_prints("正文" * 31, worker.hasher)
        await worker.close()  # closes its stdin
        assert worker.proc.returncode == 0 and not worker.failed

    asyncio.run(main())


def test_it_starts_only_after_enough_items_and_not_off_a_loop():
    worker = HashingWorker(MinHasher(), start_after=3)
    assert not any(worker.ready() for _ in range(5))  # no event loop: hashing stays local
    assert worker.failed and worker.error is None and worker.proc is None

    async def main():
        w = HashingWorker(MinHasher(), start_after=3)
        assert [w.ready() for _ in range(3)] == [False] * 3 and w._starting is None
        assert not w.ready() and w._starting is not None  # the 4th item starts it
        for _ in range(600):
            if w.ready():
                break
            await asyncio.sleep(0.05)
        assert w.ready()
        assert await w.submit("正文" * 30) == body_prints("正文" * 30, w.hasher)
        await w.close()

    asyncio.run(main())


def test_a_killed_helper_fails_over():
    async def main():
        worker = HashingWorker(MinHasher(), start_after=0)
        worker.ready()
        assert await worker.prints("正文" * 30)
        worker.proc.kill()
        await worker.proc.wait()
        with pytest.raises(RuntimeError):
            for _ in range(50):  # the broken pipe shows on a write or as the reader's EOF
                await worker.prints("正文" * 30)
                await asyncio.sleep(0.01)
        assert worker.failed and worker.error and not worker.ready()
        with pytest.raises(RuntimeError):
            await worker.prints("正文")
        await worker.close()

    asyncio.run(main())


def test_the_helper_reports_a_body_it_cannot_hash():
    frames = b""
    for body in ("正文" * 30, 12345):
        data = pickle.dumps(body)
        frames += _LEN.pack(len(data)) + data
    out = io.BytesIO()
    assert serve(64, 1, 0.5, io.BytesIO(frames), out) == 0
    raw = out.getvalue()
    hello, _, rest = raw.partition(b"\n")
    assert hello == MinHasher().params.encode()
    answers = []
    while rest:
        n = _LEN.unpack(rest[: _LEN.size])[0]
        answers.append(pickle.loads(rest[_LEN.size : _LEN.size + n]))
        rest = rest[_LEN.size + n :]
    assert answers[0] == (True, body_prints("正文" * 30, MinHasher()))
    assert answers[1][0] is False and "Error: " in answers[1][1]


def test_the_pipeline_hashes_in_process_when_the_helper_fails(tmp_path):
    """Through DedupPipeline: a helper that fails mid-crawl changes no verdict."""
    import scrapy
    from scrapy.utils.test import get_crawler

    from gazette.items import complete
    from gazette.pipelines.p40_dedup import DedupPipeline

    class Spider(scrapy.Spider):
        name = "hashing"

    def pipeline(name, **settings):
        crawler = get_crawler(
            Spider, {"GAZETTE_STATE_PATH": str(tmp_path / f"{name}.sqlite3"), **settings}
        )
        crawler.spider = Spider()
        crawler.stats.open_spider()
        return crawler, DedupPipeline.from_crawler(crawler)

    records = [
        complete({"url": f"http://h/{i}", "title": "通知", "body": BODIES[3 + i % 3] + str(i % 4)})
        for i in range(12)
    ]

    async def run(pipe, kill_at=None):
        out = []
        for i, record in enumerate(records):
            if kill_at == i:
                pipe.hashing.proc.kill()
                await pipe.hashing.proc.wait()
            try:
                result = pipe.process_item(dict(record))
                if asyncio.iscoroutine(result):
                    result = await result
                out.append(result["id"])
            except Exception as exc:  # noqa: BLE001 - the duplicates
                out.append(type(exc).__name__)
        await pipe.close_spider()
        return out

    _, local = pipeline("local", GAZETTE_HASHING_HELPER=0)
    crawler, helped = pipeline("helped", GAZETTE_HASHING_HELPER=1, GAZETTE_HASHING_AFTER=0)
    expected = asyncio.run(run(local))
    assert "GazetteDrop" in expected
    assert asyncio.run(run(helped, kill_at=6)) == expected
    stats = crawler.stats.get_stats()
    assert stats.get("gazette/hashing/helper", 0) >= 6 and stats.get("gazette/hashing/failed") == 1
