"""gazette.crawl.dupefilter.RunDupeFilter: requests are deduplicated within a run only."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request
from scrapy.settings import Settings
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from gazette import settings as project_settings
from gazette.crawl.dupefilter import RunDupeFilter


def test_project_uses_it() -> None:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    assert load_object(settings["DUPEFILTER_CLASS"]) is RunDupeFilter


def test_nothing_is_kept_in_jobdir(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"JOBDIR": str(tmp_path / "job")})
    df = RunDupeFilter.from_crawler(crawler)
    assert not df.request_seen(Request("http://a.gov.cn/list/"))
    assert df.request_seen(Request("http://a.gov.cn/list/"))  # within the run
    assert not df.request_seen(Request("http://a.gov.cn/list/", method="POST"))
    df.close("shutdown")
    assert not (tmp_path / "job" / "requests.seen").exists()
    again = RunDupeFilter.from_crawler(crawler)  # the resumed run
    assert not again.request_seen(Request("http://a.gov.cn/list/"))
    again.close("finished")


def test_redis_mode_keeps_scrapy_redis_dupefilter() -> None:
    from gazette.ops.distributed import RedisAddon

    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.set("GAZETTE_REDIS_URL", "redis://127.0.0.1:6379/0", priority="cmdline")
    RedisAddon().update_settings(settings)
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
