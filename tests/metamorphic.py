"""What reposting sites do to a page, as code: each transformation takes page HTML
and returns the same document as another site would show it.

The record of a transformed page must keep every field (up to the printed
script): :func:`same_record` compares two records through the normalised view.
``tests/test_metamorphic.py`` runs every transformation over every extraction
fixture (and every labelled page of ``../shared/corpus`` when it is there) and
reports the share of (page, transformation) pairs that keep every field;
``python tests/metamorphic.py [PAGE.html ...]`` prints the same table.
"""

from __future__ import annotations

import re
import sys
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gazette.extract import extract_html  # noqa: E402
from gazette.text.encoding import decode  # noqa: E402
from gazette.text.normalize import squeeze, strip_pinyin, view  # noqa: E402

_SKIP = frozenset(("script", "style", "noscript", "template", "head", "title", "textarea"))
_HAN = re.compile(r"[\u4e00-\u9fff]")
_SYLLABLES = ("zhōng", "guó", "fā", "zhèng", "wén", "jiàn", "shì", "rén", "mín", "xiàn")

_S2T: Any = None


def _s2t(text: str) -> str:
    global _S2T
    if _S2T is None:
        import opencc

        _S2T = opencc.OpenCC("s2t")
    return str(_S2T.convert(text))


def _gloss(text: str) -> str:
    """A pinyin gloss after every fifth Han character (the syllable is arbitrary: the
    reposting sites' own glosses are often wrong too)."""
    out = []
    n = 0
    for c in text:
        out.append(c)
        if _HAN.match(c):
            n += 1
            if n % 5 == 0:
                out.append(f"({_SYLLABLES[ord(c) % len(_SYLLABLES)]})")
    return "".join(out)


def _parse(html: str) -> Any:
    """The page as the extractor parses it (stray ``</html>`` and the like mended)."""
    from gazette.text.page import parse_html

    return parse_html(html)


def _serialise(root: Any) -> str:
    return etree.tostring(root, encoding="unicode", method="html")


def _map_text(html: str, fn: Callable[[str], str]) -> str:
    """``fn`` over every visible text node (and the <title>), markup unchanged."""
    root = _parse(html)
    if root is None:
        return html
    for el in root.iter():
        if not isinstance(el.tag, str):
            if el.tail:
                el.tail = fn(el.tail)
            continue
        tag = el.tag.lower()
        if el.text and (tag not in _SKIP or tag == "title"):
            el.text = fn(el.text)
        if el.tail:
            el.tail = fn(el.tail)
    return _serialise(root)


def traditional(html: str) -> str:
    """Simplified → traditional characters (a Hong Kong or Taiwan repost)."""
    return _map_text(html, _s2t)


def pinyin(html: str) -> str:
    """Pinyin glosses injected after characters (``發(fā)``)."""
    return _map_text(html, _gloss)


CHROME_TOP = (
    "<div class='top'>某某资讯网 | 政策法规频道 <a href='/'>首页</a> <a href='/login'>登录</a></div>"
    "<div class='crumb'>您的位置：<a href='/'>首页</a> &gt; <a href='/zc/'>政策法规</a> &gt; 正文</div>"
    "<div class='info'>来源：某某资讯网 作者：编辑部 浏览量：1024 字号：大 中 小 视力保护色：</div>"
)
CHROME_BOTTOM = (
    "<div class='share'>分享到：微信 微博 QQ空间</div>"
    "<div class='related'><h3>相关文章</h3><ul>"
    + "".join(
        f"<li><a href='/zc/{i}.html'>关于做好第{i}批试点工作的通知</a></li>" for i in range(5)
    )
    + "</ul></div>"
    "<div class='hotline'>服务热线：400-000-0000（工作日 9:00-18:00）</div>"
    "<div class='disclaimer'>免责声明：本站转载的文章仅供参考，版权归原作者所有，如有侵权请联系删除。</div>"
    "<div class='footer'>版权所有 © 某某资讯网 ICP备00000000号</div>"
)


def _body(root: Any) -> Any:
    body = root.find(".//body")
    return body if body is not None else root


def rechrome(html: str) -> str:
    """The document inside another site's chrome: header, breadcrumb, info line,
    share bar, related titles, hotline, disclaimer, footer."""
    root = _parse(html)
    if root is None:
        return html
    body = _body(root)
    inner = (body.text or "") + "".join(
        etree.tostring(c, encoding="unicode", method="html") for c in body
    )
    head = root.find(".//head")
    head_html = etree.tostring(head, encoding="unicode", method="html") if head is not None else ""
    return (
        f"<html>{head_html}<body>{CHROME_TOP}<div class='main'>{inner}</div>"
        f"{CHROME_BOTTOM}</body></html>"
    )


def _visible_lines(html: str) -> list[tuple[str, bool]]:
    """(text, mostly a link) of every visible line."""
    from gazette.text.page import build_page

    return [(ln.text, ln.link_ratio > 0.5) for ln in build_page(html).lines]


def flatten(html: str) -> str:
    """One ``<p>`` per visible line, in printed order (a repost laid out flat; a
    line that was a link stays a link)."""
    root = _parse(html)
    head = root.find(".//head") if root is not None else None
    head_html = etree.tostring(head, encoding="unicode", method="html") if head is not None else ""
    from html import escape

    paras = "".join(
        f"<p><a href='#'>{escape(t)}</a></p>" if link else f"<p>{escape(t)}</p>"
        for t, link in _visible_lines(html)
    )
    return f"<html>{head_html}<body><div id='main'>{paras}</div></body></html>"


def headline_twice(html: str) -> str:
    """The headline printed twice: the site's heading over the document's own."""
    root = _parse(html)
    if root is None:
        return html
    for el in root.iter("h1", "h2", "h3"):
        text = "".join(el.itertext()).strip()
        if len(text) >= 6:
            twin = etree.Element(el.tag)
            twin.text = text
            el.addprevious(twin)
            return _serialise(root)
    return html


_DOCNO = re.compile(r"([\u4e00-\u9fff]{1,10})〔(\d{4})〕(\d{1,6})号")
_FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def docno_variants(html: str) -> str:
    """Bracket and width swaps in every 文号: ``粤府办〔2013〕52号`` → ``粤府办[２０１３]52号``."""

    def swap(m: re.Match[str]) -> str:
        return f"{m.group(1)}[{m.group(2).translate(_FULL)}]{m.group(3)}号"

    return _map_text(html, lambda t: _DOCNO.sub(swap, t))


TRANSFORMS: dict[str, Callable[[str], str]] = {
    "traditional": traditional,
    "pinyin": pinyin,
    "other_chrome": rechrome,
    "flat": flatten,
    "headline_twice": headline_twice,
    "docno_brackets": docno_variants,
}

#: the fields compared (the scored ones and the lists an analyst filters on)
FIELDS = ("is_notice", "title", "doc_number", "issuer", "date", "published", "body")


_BRACKETS = str.maketrans("[]", "〔〕")


def _norm(value: Any) -> Any:
    """A field as compared: the normalised view, no glosses or spaces, one bracket form."""
    if isinstance(value, str):
        return squeeze(view(strip_pinyin(value))).translate(_BRACKETS)
    return value


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """The fields where two records differ beyond their printed script."""
    out = []
    for f in FIELDS:
        if not a.get("is_notice") and f != "is_notice":
            continue  # a non-notice keeps only its verdict
        if _norm(a.get(f)) != _norm(b.get(f)):
            out.append(f)
    return out


def page_text(data: bytes) -> str:
    text, _ = decode(data, None)
    return text


def run(
    pages: Iterable[tuple[str, bytes, str | None]],
) -> tuple[dict[str, list[int]], list[tuple[str, str, list[str]]]]:
    """Every transformation over every page → (kept/total per transformation, misses)."""
    table: dict[str, list[int]] = {name: [0, 0] for name in TRANSFORMS}
    misses: list[tuple[str, str, list[str]]] = []
    for name, data, url in pages:
        html = page_text(data)
        base = extract_html(html, url=url)
        for tname, fn in TRANSFORMS.items():
            changed = fn(html)
            if changed == html:
                continue  # nothing for this transformation to change on this page
            diff = differences(base, extract_html(changed, url=url))
            table[tname][1] += 1
            if diff:
                misses.append((name, tname, diff))
            else:
                table[tname][0] += 1
    return table, misses


def format_table(table: dict[str, list[int]]) -> str:
    rows = ["transformation     kept   of   share"]
    total = [0, 0]
    for name, (kept, n) in table.items():
        total[0] += kept
        total[1] += n
        rows.append(f"{name:16} {kept:6} {n:4}  {kept / n if n else 1:.3f}")
    rows.append(f"{'all':16} {total[0]:6} {total[1]:4}  {total[0] / max(total[1], 1):.3f}")
    return "\n".join(rows)


def fixture_pages() -> list[tuple[str, bytes, str | None]]:
    import json

    out = []
    for html in sorted((ROOT / "tests" / "fixtures" / "extract").glob("*.html")):
        meta = json.loads(html.with_suffix(".json").read_text("utf-8"))
        out.append((html.stem, html.read_bytes(), meta.get("url")))
    return out


def corpus_pages(corpus: Path) -> list[tuple[str, bytes, str | None]]:
    import json

    out = []
    labels = corpus / "labels.jsonl"
    for line in labels.read_text("utf-8").splitlines():
        if line.strip():
            lab = json.loads(line)
            out.append((lab["file"], (corpus / lab["file"]).read_bytes(), lab.get("url")))
    return out


def _seed(name: str) -> int:
    return zlib.crc32(name.encode())


if __name__ == "__main__":
    args = sys.argv[1:]
    if args:
        pages = [(a, Path(a).read_bytes(), None) for a in args]
    else:
        pages = fixture_pages()
        corpus = ROOT.parent / "shared" / "corpus"
        if (corpus / "labels.jsonl").is_file():
            pages += corpus_pages(corpus)
    table, misses = run(pages)
    print(format_table(table))
    for m in misses:
        print("miss:", *m)
