"""HTML -> a :class:`Page`: visible text lines in document order, metas, links.

The one place where HTML is parsed. Every later stage (title, metadata
table, body, signature) works on :class:`Line` objects, which remember the
block element that holds them, how much of their text sits in links, and
whether they are headings or table rows.

Robust to the real web: a stray ``</html>`` before the content, XML
declarations, comments, scripts, inline styles, unclosed tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from gazette.text.normalize import clean_line, view

BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form frameset h1 h2 h3 h4 h5 h6 header hgroup "
    "hr html li main menu nav ol p pre section summary table tbody thead tfoot tr ul "
    "caption legend".split()
)
CELL_TAGS = frozenset(("td", "th"))
DROP_TAGS = frozenset(
    "script style noscript template iframe object embed svg canvas select option "
    "textarea button input head map area audio video source math link meta".split()
)
HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_STRAY_END = re.compile(r"</\s*(?:html|body)\s*>", re.IGNORECASE)
# presentational tags that Word exports leave open, nesting every later paragraph
# one level deeper (libxml2 stops at a fixed depth): dropped before parsing
_FONT = re.compile(r"</?(?:font|o:p)\b[^>]*>", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)

#: the budget of one page: past this many visible lines or characters the page is cut
#: there (``Page.cut``), so no page costs more than about a second whatever it holds
MAX_LINES = 20_000
MAX_TEXT = 1_000_000
MAX_NODES = 100_000  # elements walked (a page of bare ``<br>`` has no lines to count)
#: libxml2 nests at most this deep (even with ``huge_tree``); deeper content is lost
MAX_DEPTH = 2048
#: tags nested without their end tags more than this many times are flattened before
#: parsing: inline ones dropped (their text kept), block ones turned into line breaks
_UNCLOSED = 256
_INLINE_FLAT = ("span", "b", "i", "u", "em", "strong", "small", "big", "strike", "s", "label")
_BLOCK_FLAT = ("div", "p", "section", "article", "blockquote", "center", "li", "ul", "ol", "dl")
_FLAT_TAG = re.compile(
    r"<(/?)(" + "|".join(_INLINE_FLAT + _BLOCK_FLAT) + r")(?=[\s>/])", re.IGNORECASE
)

# plain lxml elements (no lxml.html class lookup: it costs a third of the parse)
_PARSER = etree.HTMLParser(
    # huge_tree: Word exports leave <font> tags open, nesting past libxml2's default
    # depth limit of 256, which would silently cut the page
    remove_comments=True,
    remove_pis=True,
    no_network=True,
    recover=True,
    huge_tree=True,
)


@dataclass(slots=True)
class Line:
    """One visible line of text."""

    text: str
    el: Any  # the block element that holds the line
    link: int = 0  # characters of the line inside <a>
    tag: str = ""  # tag of the holding block
    index: int = 0  # position in Page.lines
    row: bool = False  # a table row
    key: str = (
        ""  # the normalised view of the text (:func:`~gazette.text.normalize.view`) rules read
    )
    cuts: tuple[int, ...] = ()  # positions of the spaces in ``text`` that part table cells

    def __post_init__(self) -> None:
        if not self.key:
            self.key = self.text

    @property
    def cells(self) -> str:
        """``key`` with its table cells parted by tabs (``文号<TAB>X<TAB>主题分类<TAB>Y``),
        for the label rules: a label cell needs no colon.

        >>> Line("文号 浙政办发〔2021〕37号 分类 综合", None, cuts=(2, 16)).cells.split(chr(9))
        ['文号', '浙政办发〔2021〕37号', '分类 综合']
        """
        if not self.cuts or len(self.key) != len(self.text):
            return self.key
        chars = list(self.key)
        for i in self.cuts:
            chars[i] = "\t"
        return "".join(chars)

    @property
    def link_ratio(self) -> float:
        return self.link / len(self.text) if self.text else 0.0


@dataclass
class Page:
    """A parsed page: lines, metas, <title>, links."""

    url: str | None
    root: Any
    lines: list[Line] = field(default_factory=list)
    metas: dict[str, str] = field(default_factory=dict)
    html_title: str = ""
    text_html: str = ""
    cut: str | None = None  # why the page was not read whole: "lines", "text", "nodes", "depth"

    def meta(self, *names: str) -> str | None:
        for name in names:
            value = self.metas.get(name.lower())
            if value:
                return value
        return None

    def absolute(self, href: str) -> str:
        return urljoin(self.url or "", href.strip()) if self.url else href.strip()


_TAGS: dict[Any, str] = {}


def _tag(el: Any) -> str:
    tag = el.tag
    try:
        return _TAGS[tag]
    except KeyError:
        name = tag.lower() if isinstance(tag, str) else ""
        if len(_TAGS) < 4096:
            _TAGS[tag] = name
        return name
    except TypeError:  # unhashable: not a tag name
        return ""


def _has_block(el: Any) -> bool:
    for d in el.iterdescendants():
        if _tag(d) in BLOCK_TAGS or _tag(d) == "br":
            return True
    return False


def _flatten_unclosed(text: str) -> str:
    """Tags left open hundreds of times (a Word export's ``<span>`` per paragraph,
    a hostile ``<div>`` ladder) nest every later line one level deeper, past
    libxml2's depth limit, which silently drops the rest: flatten such tags.
    Linear: two counts per tag name, one substitution per flattened tag.

    >>> t = "<div>" + "<span>条文。<br>" * 300 + "</div>"
    >>> "<span" in _flatten_unclosed(t), _flatten_unclosed("<span>a</span>") == "<span>a</span>"
    (False, True)
    """
    if text.count("<") < _UNCLOSED:
        return text
    depth: dict[str, int] = {}
    for slash, name in _FLAT_TAG.findall(text):
        name = name.lower()
        depth[name] = depth.get(name, 0) + (-1 if slash else 1)
    for tag, unclosed in depth.items():
        if unclosed < _UNCLOSED:
            continue
        repl = "" if tag in _INLINE_FLAT else "<br>"
        text = re.sub(rf"</?{tag}\b[^>]*>", repl, text, flags=re.IGNORECASE)
    return text


def parse_html(text: str) -> Any:
    """Parse HTML text leniently into an lxml root."""
    text = _XML_DECL.sub("", text)
    # a stray </html> or </body> in an include makes lxml drop what follows
    text = _STRAY_END.sub("", text)
    text = _FONT.sub("", text)
    if not text.strip():
        text = "<html><body></body></html>"
    try:
        root = etree.fromstring(text, parser=_PARSER)
        if _too_deep():  # tags left open nest past the parser's depth: flatten, again
            root = etree.fromstring(_flatten_unclosed(text), parser=_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        root = etree.fromstring("<html><body></body></html>", parser=_PARSER)
    return root


def _too_deep() -> bool:
    """Did the last parse stop at libxml2's depth limit (content lost)?"""
    return any("Excessive depth" in e.message for e in _PARSER.error_log)


def build_page(text: str, url: str | None = None) -> Page:
    """Parse ``text`` and collect its visible lines and metas.

    >>> p = build_page("<html><head><title>T_站</title></head><body>"
    ...     "<div><p>第一段<br>第二段</p><a href='/x'>链接</a></div></body></html>")
    >>> [ln.text for ln in p.lines], p.html_title
    (['第一段', '第二段', '链接'], 'T_站')
    """
    root = parse_html(text)
    page = Page(url=url, root=root, text_html=text)
    if _too_deep():
        page.cut = "depth"
    for m in root.iter("meta"):
        name = (m.get("name") or m.get("property") or m.get("http-equiv") or "").strip().lower()
        content = m.get("content")
        if name and content and name not in page.metas:
            page.metas[name] = content.strip()
    t = root.find(".//title")
    if t is not None:
        page.html_title = clean_line("".join(t.itertext()))
    body = root.find("body")
    if body is None:
        body = root
    page.lines, cut = _lines(body)
    page.cut = page.cut or cut
    _simplify(page.lines)
    return page


def _simplify(lines: list[Line]) -> None:
    """Give each line its normalised ``key`` (one conversion for the whole page)."""
    if not lines:
        return
    joined = "\n".join(ln.text for ln in lines)
    keys = view(joined).split("\n")
    if len(keys) != len(lines):
        keys = [view(ln.text) for ln in lines]
    for ln, key in zip(lines, keys, strict=True):
        ln.key = key


def _cell_cuts(raw: str, text: str) -> tuple[int, ...]:
    """Where the cells of ``raw`` (parted by tabs) meet in its cleaned ``text``.

    >>> _cell_cuts("|发文字号| 粤府办〔2013〕52号 ||".replace("|", chr(9)), "发文字号 粤府办〔2013〕52号")
    (4,)
    """
    cells = [c for c in (clean_line(part) for part in raw.split("\t")) if c]
    if len(cells) < 2 or " ".join(cells) != text:
        return ()
    cuts, at = [], -1
    for c in cells[:-1]:
        at += len(c) + 1
        cuts.append(at)
    return tuple(cuts)


def _lines(body: Any) -> tuple[list[Line], str | None]:
    """The visible lines under ``body``, and why they stop early (``MAX_NODES``,
    ``MAX_LINES``, ``MAX_TEXT``) or None."""
    lines: list[Line] = []
    chars = 0
    buf: list[str] = []
    link_chars = 0
    stack: list[Any] = [body]
    in_link = 0
    is_row = False
    skip_depth = 0
    block_cells: dict[Any, bool] = {}

    def flush() -> None:
        nonlocal buf, link_chars, is_row, chars
        if buf:
            raw = "".join(buf)
            if raw.isspace():  # (most flushes: the white space between blocks)
                buf = []
                link_chars = 0
                is_row = False
                return
            if len(raw) > MAX_TEXT - chars:
                raw = raw[: max(MAX_TEXT - chars, 0)]  # past the budget: cut here
                chars = MAX_TEXT
            text = clean_line(raw)
            if text:
                cuts: tuple[int, ...] = ()
                if "\t" in raw:
                    cuts = _cell_cuts(raw, text)
                owner = stack[-1]
                # links ratio: measured on the cleaned text length
                chars += len(text)
                lines.append(
                    Line(
                        text=text,
                        el=owner,
                        link=min(link_chars, len(text)),
                        tag=_tag(owner),
                        index=len(lines),
                        row=is_row and "\t" in raw.strip(),
                        cuts=cuts,
                    )
                )
        buf = []
        link_chars = 0
        is_row = False

    def add(s: str | None) -> None:
        nonlocal link_chars
        if s:
            buf.append(s)
            if in_link:
                link_chars += len(s.strip())

    nodes = 0
    tags = _TAGS
    # (one pass over the elements; the per-element work is kept inline: this loop is
    # the largest single cost of an extraction)
    for event, el in etree.iterwalk(body, events=("start", "end")):
        t = el.tag
        tag = tags.get(t) if type(t) is str else ""
        if tag is None:
            tag = _tag(el)
        if event == "start":
            nodes += 1
            if nodes > MAX_NODES or len(lines) >= MAX_LINES or chars >= MAX_TEXT:
                flush()
                why = (
                    "nodes" if nodes > MAX_NODES else "lines" if len(lines) >= MAX_LINES else "text"
                )
                return lines, why
            if skip_depth:
                if tag:
                    skip_depth += 1
                continue
            if not tag:  # comments / PIs that survived
                continue
            if tag in DROP_TAGS or el.get("hidden") is not None:
                skip_depth = 1
                continue
            style = el.get("style")
            if style and _HIDDEN.search(style):
                skip_depth = 1
                continue
            if tag == "br":
                flush()
                continue
            block = tag in BLOCK_TAGS
            if tag in CELL_TAGS:
                block = block_cells.setdefault(el, _has_block(el))
                if not block and buf:
                    buf.append("\t")
            if block:
                flush()
                stack.append(el)
                if tag == "tr":
                    is_row = True
            if tag == "a":
                in_link += 1
            s = el.text
            if s:
                buf.append(s)
                if in_link:
                    link_chars += len(s.strip())
            continue
        if skip_depth:
            if tag:
                skip_depth -= 1
            if skip_depth == 0:
                add(el.tail)
            continue
        if tag and tag != "br":
            if tag == "a":
                in_link = max(0, in_link - 1)
            if tag in BLOCK_TAGS or (tag in CELL_TAGS and block_cells.get(el, False)):
                flush()
                if len(stack) > 1:
                    stack.pop()
                if tag == "tr":
                    is_row = False
            elif tag in CELL_TAGS:
                buf.append("\t")
                if _tag(el.getparent()) == "tr":
                    is_row = True
        s = el.tail
        if s:
            buf.append(s)
            if in_link:
                link_chars += len(s.strip())
    flush()
    return lines, ("text" if chars >= MAX_TEXT else None)
