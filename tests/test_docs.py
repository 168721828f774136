"""The documentation site: the spider pages match the spiders' docstrings, and
``mkdocs build --strict`` passes (every internal link and anchor resolves, every page
is in the nav); a broken link fails it. Skips when mkdocs is not installed (the
``docs`` extra, which ``scripts/test.sh`` installs)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def spider_docs():
    spec = importlib.util.spec_from_file_location(
        "spider_docs", ROOT / "scripts" / "spider_docs.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_spider_pages_match_their_docstrings():
    module = spider_docs()
    problems = module.drift()
    assert problems == [], "\n".join(problems) + "\nrun: python scripts/spider_docs.py"


def test_every_spider_has_a_page_in_the_nav():
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    names = SpiderLoader.from_settings(get_project_settings()).list()
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for name in names:
        assert (DOCS / "spiders" / f"{name}.md").is_file()
        assert f"spiders/{name}.md" in nav


def test_a_drifted_page_is_reported(tmp_path, monkeypatch):
    module = spider_docs()
    copy = tmp_path / "spiders"
    shutil.copytree(DOCS / "spiders", copy)
    monkeypatch.setattr(module, "OUT", copy)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    expected = {copy / path.name: text for path, text in module.pages().items()}
    assert module.drift(expected) == []
    page = copy / "gov_cn.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nedited by hand\n", encoding="utf-8")
    (copy / "old_spider.md").write_text("# old\n", encoding="utf-8")
    (copy / "urls.md").unlink()
    assert module.drift(expected) == [
        "spiders/gov_cn.md differs from its spider's docstring",
        "spiders/urls.md is missing",
        "spiders/old_spider.md belongs to no spider",
    ]


def test_docstring_markup_becomes_markdown():
    module = spider_docs()
    summary, body = module.docstring_markdown(
        "One line.\n\nArguments: ``-a x=1`` (:mod:`gazette.spiders.paging`), a <tag>.\n"
    )
    assert summary == "One line."
    assert body == "**Arguments:** `-a x=1` (`gazette.spiders.paging`), a &lt;tag>."


def _mkdocs(config: Path, site: Path) -> subprocess.CompletedProcess:
    # not -q: mkdocs 1.6 counts strict-mode warnings only when they are logged
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(config),
            "-d",
            str(site),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="the docs extra is not installed")
    proc = _mkdocs(ROOT / "mkdocs.yml", tmp_path / "site")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "site" / "getting-started" / "index.html").is_file()
    assert (tmp_path / "site" / "spiders" / "gd_gkmlpt" / "index.html").is_file()
    # the data format reference is DATA_FORMAT.md itself (a link in docs/, no copy)
    assert (DOCS / "DATA_FORMAT.md").resolve() == (ROOT / "DATA_FORMAT.md").resolve()


@pytest.mark.parametrize(
    "broken",
    ["[x](no-such-page.md)", "[x](getting-started.md#no-such-section)"],
)
def test_mkdocs_build_fails_on_a_broken_link(tmp_path, broken):
    pytest.importorskip("mkdocs", reason="the docs extra is not installed")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(DOCS, tmp_path / "docs", symlinks=False)
    index = tmp_path / "docs" / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + f"\n{broken}\n", encoding="utf-8")
    proc = _mkdocs(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert proc.returncode != 0
    assert "index.md" in proc.stderr
