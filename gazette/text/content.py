"""Main content: which lines of a :class:`~gazette.text.page.Page` are the notice.

Two steps:

1. **Container**: the block of a known government template (TRS_Editor,
   UCAP-CONTENT, zoom, pages_content, article_content ...) or, for unknown
   templates, the element with the highest text score (prose counts for,
   link lists and short chrome count against, summed over the subtree).
2. **Trim**: inside the container, the body runs from the 主送机关 line (or the
   first paragraph after title and 发文字号) to the last paragraph before the
   signature; when an attached text follows the signature it runs to the end
   of that text. Chrome (bylines, share/print widgets, disclaimers, related
   lists, footers) never enters the body.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gazette.text import issuers
from gazette.text.dates import find_dates
from gazette.text.docno import find_all, is_docno_line, is_serial_number, split_serial
from gazette.text.metadata import has_labels
from gazette.text.normalize import squeeze, view
from gazette.text.page import Line, Page

#: class/id tokens of known government content blocks, most specific first
KNOWN_CONTAINERS = (
    "TRS_Editor",
    "TRS_UEDITOR",
    "UCAP-CONTENT",
    "pages_content",
    "article_content",
    "detailContent",
    "zoom",
    "Zoom",
    "Custom_UnionStyle",
    "xxgk_content",
    "gkxl-article",
    "article-content",
    "articleContent",
    "news_content",
    "content_text",
    "contentText",
    "con_text",
    "wzcon",
    "artibody",
    "ContentBody",
    "bt-content",
    "rich_media_content",  # WeChat articles (mp.weixin)
    "js_content",
)
_KNOWN_RE = re.compile(
    r"(?:^|[\s_-])(?:" + "|".join(re.escape(k) for k in KNOWN_CONTAINERS) + r")(?:$|[\s])",
)

SENTENCE_PUNCT = re.compile(r"[。；;！!？?]")
COMMA = re.compile(r"[，,、]")

#: lines that are never part of a body, wherever they appear
CHROME = re.compile(
    r"^(?:当前位置|您的位置|所在位置|首页\s*[>＞»›]|字号\s*[:：]|【?\s*字体|【?\s*打印|打印本页|"
    r"分享到?\s*[:：]?|扫一扫|关闭窗口|【\s*关闭|上一篇|下一篇|上一条|下一条|责任编辑|"
    r"编辑\s*[:：]|审核\s*[:：]|校对\s*[:：]|浏览次数|点击数|阅读次数|访问量|阅读量|"
    r"相关链接|相关阅读|相关文章|相关稿件|相关文件|相关新闻|相关政策|相关附件|热点推荐|推荐阅读|"
    r"附件下载|文件下载|主办单位|承办单位|协办单位|版权所有|网站标识码|联系我们|网站地图|"
    r"客服热线|服务热线|咨询热线|热线电话|免责声明|本文章?内容来源|本文来源于|本站声明|"
    r"收藏本页|返回顶部|【\s*大\s*】|\[\s*大\s*\]|分享\s*[:：]|信息来源\s*[:：]|来源\s*[:：]|"
    r"作者\s*[:：]|发布(?:时间|日期)\s*[:：]|时间\s*[:：]|日期\s*[:：]|"
    r"Copyright|copyright|©)"
    r"|^(?:展开阅读全文|阅读全文|下载文档|立即下载|免费下载|文档分享|举报\s*$|收藏\s*$|原文链接|点击查看|"
    r"本文档|文档贡献者|上传者|上传时间\s*[:：]|页数\s*[:：]|格式\s*[:：]|大小\s*[:：]|浏览\s*[:：]|"
    r"下载\s*[:：]|积分\s*[:：]|微信扫一扫|手机扫码|打开微信|点击(?:下载|收藏|分享)|"
    r"第\s*\d+\s*页\s*[/／,，|]?\s*共\s*\d+\s*页|共\s*\d+\s*页)"
    r"|(?:ICP备|公网安备|网站标识码|仅供参考|不对文章内容|版权归原作者|如有侵权|侵权请联系|联系删除|"
    r"仅代表作者本人|信息存储空间服务|返回搜狐|查看更多|点击阅读原文|阅读原文|原标题\s*[:：]|"
    r"长按识别|关注公众号|转载请注明)"
    r"|(?:于\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*发表)"
)
#: chrome by its shape, whatever its words (a reposting site's own wording varies):
#: a breadcrumb (short items parted by two or more >, », ›, →)
_BREADCRUMB = re.compile(
    r"(?:[^>＞»›→。；！？]{1,16}(?:>>?|＞|»|›|→|/)\s*){2,}[^>＞»›→。；！？]{0,30}$"
)
#: a widget: a short label and a colon over short choices (``字号：大 中 小``,
#: ``分享到：微信 微博 QQ空间``), or short items parted by | (``打印 | 关闭``)
_WIDGET = re.compile(
    r"^[\u4e00-\u9fff]{2,6}\s*：\s*(?:\S{1,4}\s+)+\S{0,4}\s*$"
    r"|^(?:[^|｜。；！？，]{1,8}[|｜]){2,}[^|｜。；！？，]{0,8}$"
)
#: the label of a label-and-value pair (``浏览量：``), and a counter value (``1024``, ``(3452)``)
_PAIR = re.compile(r"([\u4e00-\u9fff]{2,6})\s*：\s*([^：\s]*)")
_COUNTER = re.compile(r"^(?:\d[\d,]*|（\d+）|\d+次)?$")


def chrome_shape(key: str) -> bool:
    """Is a line page chrome by its shape (no word list): a breadcrumb, a widget,
    or an info line of two or more label-and-value pairs with a counter or an
    empty value and no sentence (``来源：某网 作者：某某 浏览量：1024 字号：``).
    ``key`` is the line's normalised view.

    >>> chrome_shape("您现在的位置：首页 >> 政务公开 >> 通知公告")
    True
    >>> chrome_shape("字号：大 中 小"), chrome_shape("关于本网|网站地图|联系我们")
    (True, True)
    >>> chrome_shape("来源：某某资讯网 作者：编辑部 浏览量：1024 视力保护色：")
    True
    >>> chrome_shape("联系人：李老师 电话：0571-86843125"), chrome_shape("一、总体要求")
    (False, False)
    >>> chrome_shape("各区人民政府，市政府各部门："), chrome_shape("2024年3月6日")
    (False, False)
    """
    if len(key) > 160 or _SENTENCE_END.search(key):
        return False
    if ("＞" in key or ">" in key or "»" in key or "›" in key or "→" in key) and _BREADCRUMB.match(
        key
    ):
        return key.count("/") < 2 or ">" in key or "＞" in key or "»" in key or "›" in key
    if _WIDGET.match(key):
        return True
    pairs = _PAIR.findall(key)
    return len(pairs) >= 2 and any(_COUNTER.match(value) for _, value in pairs)


_SENTENCE_END = re.compile(r"[。；！？!?]")


def is_chrome(key: str) -> bool:
    """Page chrome, by its words (``CHROME``) or by its shape (:func:`chrome_shape`)."""
    return bool(CHROME.search(key)) or chrome_shape(key)


#: after the body has started, these end it (the rest of the container is chrome)
STOP = re.compile(
    r"^(?:相关链接|相关阅读|相关文章|相关稿件|相关文件|相关新闻|相关政策|相关附件|热点推荐|推荐阅读|"
    r"上一篇|下一篇|上一条|下一条|扫一扫|免责声明|本文章?内容来源|本文来源于|本站声明|"
    r"版权所有|主办单位|关于我们|网站地图|责任编辑|【\s*打印|打印本页|关闭窗口|【\s*关闭|分享到|"
    r"附件下载|文件下载|抄送\s*[:：]|主题词\s*[:：]|\d{1,3}\s*[.、．]\s*标题和内容已经清空|"
    r"[^。，；！？:：]{0,10}(?:解读|点评)\s*$|解读材料\s*$|编者按)"
)
#: a byline / info line under a title: source, time, views, author
INFO_LINE = re.compile(
    r"(?:来源|发布时间|发布日期|更新时间|时间|日期|阅读|浏览|点击|作者|编辑|责编)\s*[:：(（]"
)
#: the 主送机关 line: who the document is addressed to
RECIPIENT = re.compile(
    r"^(?!.*(?:如下|通知|决定|公告)\s*[:：]\s*$)[^。；!?！？]{2,200}?(?:[:：])\s*$"
)
_RECIPIENT_WORDS = re.compile(
    r"各|人民政府|部门|单位|机构|委员会|局|厅|办|公司|学校|医院|企业|同志|党委|党组|街道|乡镇|管委会|社区"
)
#: 题注: ``（2007年6月29日第十届…会议通过）`` under a resolution's title
HEADNOTE = re.compile(r"^[（(].{0,240}(?:通过|批准|公布|修正|修订|发布)[^）)]{0,20}[）)]$")
#: attached text that may follow the signature
ATTACH_START = re.compile(
    r"^(?:附件\s*\d*\s*[:：]?|附\s*[:：]|第[一二三四五六七八九十百]+[章条节]|[一二三四五六七八九十]+、|"
    r".{2,80}(?:办法|规定|细则|方案|措施|规则|规划|计划|要点|目录|清单|标准|制度|意见|指引|须知|章程|条例|通知)"
    r"(?:\s*[（(][^）)]{1,10}[）)])?$)"
)
#: a 令 or 命令 is signed by its signer's post and name (GB/T 9704): ``部长 李小鹏``
SIGNER = re.compile(
    r"^(?:代理)?(?:总理|部长|主任|署长|局长|总局局长|行长|主席|委员长|院长|检察长|省长|自治区主席|"
    r"市长|州长|盟长|县长|区长|旗长|乡长|镇长|厅长|主任委员)[ \u3000]*"
    r"[\u4e00-\u9fff·](?:[ \u3000]?[\u4e00-\u9fff·]){1,4}$"
)
#: 附注 (GB/T 9704): a short note in brackets under the date or above the signature,
#: ``（此件公开发布）``, ``（联系人：张三，电话：12345678）``
NOTE_LINE = re.compile(r"^[（(][^（）()]{2,60}[）)]$")
_BARE_ATTACH = re.compile(r"^(?:相关)?附\s*件\s*[:：]?\s*$")
_WS = re.compile(r"\s+")


@dataclass
class Signature:
    offices: list[str] = field(default_factory=list)
    date: str | None = None
    start: int = -1  # first signature line (index into page.lines)
    date_line: int = -1


@dataclass
class Body:
    start: int = -1
    end: int = -1  # exclusive
    recipients_line: int | None = None
    signature: Signature | None = None
    container: tuple[int, int] = (0, 0)

    def lines(self, page: Page) -> list[Line]:
        return page.lines[self.start : self.end] if self.start >= 0 else []


def _classes(el: Any) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}"


def line_weight(ln: Line) -> float:
    """Contribution of one line to its containers' scores."""
    n = len(ln.text)
    if ln.link_ratio > 0.5:
        return -float(n) - 2
    if is_chrome(ln.key):
        return -float(min(n, 30))
    if SENTENCE_PUNCT.search(ln.key) or (COMMA.search(ln.key) and n >= 20):
        return float(n - 2 * ln.link)
    if n >= 12:
        return n * 0.3
    return -1.0


def _ancestors(el: Any) -> list[Any]:
    out = [el]
    out.extend(el.iterancestors())
    return out


def find_container(page: Page) -> tuple[int, int]:
    """``(first, last+1)`` line indexes of the main content block."""
    lines = page.lines
    if not lines:
        return (0, 0)
    # 1. a known template block holding real prose
    best: tuple[float, Any] | None = None
    scores: dict[Any, float] = {}
    chains: list[list[Any]] = []
    for ln in lines:
        chain = _ancestors(ln.el)
        chains.append(chain)
        w = line_weight(ln)
        for el in chain:
            scores[el] = scores.get(el, 0.0) + w
    known = [
        el
        for el in scores
        if isinstance(el.tag, str) and _KNOWN_RE.search(" " + _classes(el) + " ")
    ]
    known = [el for el in known if scores[el] > 40]
    if known:
        # outermost of nested known blocks that has the best score
        best = max(((scores[el], el) for el in known), key=lambda t: t[0])
    else:
        # 2. the subtree with the best net score; ties go to the smaller subtree
        best = max(((s, el) for el, s in scores.items()), key=lambda t: t[0])
    target = best[1]
    idx = [i for i, chain in enumerate(chains) if target in chain]
    if not idx:
        return (0, len(lines))
    if len(idx) < 3 and target.getparent() is not None:
        # one paragraph of a flat page (every line a sibling of the chrome around it):
        # the content is the run of its siblings' lines with the best summed weight
        parent = target.getparent()
        around = [i for i, chain in enumerate(chains) if parent in chain]
        if len(around) > len(idx):
            return _best_run(lines, around[0], around[-1] + 1, idx[0])
    return (idx[0], idx[-1] + 1)


def _best_run(lines: Sequence[Line], lo: int, hi: int, must: int) -> tuple[int, int]:
    """The contiguous run of ``lines[lo:hi]`` holding line ``must`` whose weights
    (:func:`line_weight`) sum highest: the best run ending at ``must`` joined to the
    best run starting after it (linear)."""
    best_left, run, start = 0.0, 0.0, must
    for i in range(must - 1, lo - 1, -1):
        run += line_weight(lines[i])
        if run > best_left:
            best_left, start = run, i
    best_right, run, end = 0.0, 0.0, must + 1
    for i in range(must + 1, hi):
        run += line_weight(lines[i])
        if run > best_right:
            best_right, end = run, i + 1
    return (start, end)


def is_date_line(text: str) -> str | None:
    """ISO date when a line is just a date (``2013年11月23日``, ``（2013年11月23日）``)."""
    t = text.strip().strip("（）()")
    if len(t) > 30:
        return None
    found = find_dates(t)
    if len(found) != 1:
        return None
    rest = _WS.sub("", t[: found[0].start] + t[found[0].end :])
    if rest in ("", "印发", "发布", "签发"):
        return found[0].iso
    return None


def docno_with_date(line: str) -> bool:
    """A header line holding one 文号 and a date only: ``粤府办〔2013〕52号 2013年11月23日``."""
    if len(line) > 60:
        return False
    hits = find_all(line)
    if len(hits) != 1:
        return False
    rest = line[: hits[0].start] + line[hits[0].end :]
    for d in find_dates(rest):
        rest = rest.replace(d.raw, "")
    return len(rest.strip(" \t　,，:：（）()")) == 0 and rest != line


_BANNER = re.compile(r"^[\u4e00-\u9fff（）() \u3000]{2,60}文件$")
#: header lines (文号, labels, bylines, dates, a title's pieces) are short
_HEADER_MAX = 300


def _is_header_line(ln: Line, title_key: str) -> bool:
    text = ln.key
    if len(text) > _HEADER_MAX:
        return False
    key = squeeze(text)
    if not key:
        return True
    if title_key and len(key) >= 4 and key in title_key:
        return True
    if is_docno_line(text) or docno_with_date(text) or HEADNOTE.match(text) or is_chrome(text):
        return True
    if is_serial_number(text) or split_serial(text, ""):
        return True  # 中华人民共和国交通运输部令 / 2024年第5号
    if has_labels(ln.cells):
        return True
    if (
        len(text) <= 100
        and (INFO_LINE.search(text) or find_dates(text[:12]))
        and not SENTENCE_PUNCT.search(text)
    ):
        return True  # "2024-01-16 08:12 来源: 某网 阅读 (3452)"
    if is_date_line(text):
        return True
    if _BANNER.match(text) and issuers.is_office_line(text[: -len("文件")].strip()):
        return True  # 发文机关标志 (GB/T 9704): ``某市人民政府文件``
    return False


def is_recipient(text: str) -> bool:
    """A 主送 line: addressees ending in a colon (not a label line or an info line).

    >>> is_recipient("各乡（镇）人民政府，县政府各部门："), is_recipient("发布日期：2019-02-28 来源：县政府办 浏览次数：")
    (True, False)
    """
    return (
        len(text) <= 200
        and bool(RECIPIENT.match(text))
        and bool(_RECIPIENT_WORDS.search(text))
        and not has_labels(text)
        and not chrome_shape(text)
    )


def find_signature(lines: Sequence[Line], start: int, end: int) -> Signature | None:
    """The first signature block (offices over a date) between ``start`` and ``end``."""
    for i in range(start, end):
        if lines[i].row:
            continue  # a date in a table cell is data, not a signature
        text = lines[i].key
        iso = is_date_line(text)
        offices: list[str] = []
        first = i
        if iso is None:
            # one-line signature: "广东省人民政府办公厅 2013年11月23日"
            found = find_dates(text)
            if len(found) == 1 and found[0].end >= len(text.rstrip()) - 1:
                head = text[: found[0].start].strip()
                if head and issuers.is_office_line(head):
                    orig = lines[i].text[: len(head)] if len(lines[i].text) == len(text) else head
                    return Signature(issuers.split_offices(orig), found[0].iso, i, i)
            continue
        j = i - 1
        while j >= start and i - j <= 6:
            t = lines[j].key
            if issuers.is_office_line(t):
                offices = issuers.split_offices(lines[j].text) + offices
                first = j
                j -= 1
                continue
            if NOTE_LINE.match(t):
                j -= 1  # （此件公开发布） between text and signature
                continue
            break
        if not offices and i - 1 >= start and SIGNER.match(lines[i - 1].key):
            return Signature([], iso, i - 1, i)  # 令: signed 部长 李小鹏
        if offices or not _tail_has_prose(lines, i + 1, end):
            return Signature(offices, iso, first, i)
    return None


def signature_under_title(lines: Sequence[Line], lo: int, hi: int) -> Signature | None:
    """Offices over a date right under the title, before any text: where a 公报 (a
    statistics bureau's 统计公报) or a 公告 prints who issues it (GB/T 9704 lets
    these documents carry the issuing offices under the title).

    >>> from gazette.text.page import Line
    >>> ls = [Line(t, None) for t in ("某省统计局", "国家统计局某调查总队", "2024年3月1日", "全年经济平稳。")]
    >>> s = signature_under_title(ls, 0, 4); s.offices, s.date, s.date_line
    (['某省统计局', '国家统计局某调查总队'], '2024-03-01', 2)
    >>> signature_under_title(ls[3:], 0, 1) is None
    True
    """
    offices: list[str] = []
    for i in range(lo, hi):
        key = lines[i].key
        if issuers.is_office_line(key) and len(offices) < 8:
            offices += issuers.split_offices(lines[i].text)
            continue
        iso = is_date_line(key)
        if iso and offices:
            return Signature(offices, iso, lo, i)
        return None
    return None


def _tail_has_prose(lines: Sequence[Line], start: int, end: int) -> bool:
    prose = 0
    for ln in lines[start:end]:
        if STOP.match(ln.key):
            break
        if SENTENCE_PUNCT.search(ln.key) and not is_chrome(ln.key):
            prose += len(ln.text)
    return prose >= 60


#: a letter that issues or forwards another text (GB/T 9704's 印发/转发 通知): what
#: follows its signature is that text, however it is headed
ISSUING = re.compile(r"印发|转发|批转|颁发|发布|公布")


def _tail_is_attachment(lines: Sequence[Line], start: int, end: int, issuing: bool = False) -> bool:
    """Does the text after a signature continue the document (attached text)?

    It does when it opens like an attachment (``附件``, a title, ``第一条``) within
    its first lines (a title may be broken over two or three), or, after a letter
    that issues another text, whenever it is prose.
    """
    tail = [ln for ln in lines[start:end] if not is_chrome(ln.key)]
    while tail and NOTE_LINE.match(tail[0].key):
        tail.pop(0)  # （此件公开发布） under the date, before the attachment
    if not tail:
        return False
    prose = sum(len(ln.text) for ln in tail if SENTENCE_PUNCT.search(ln.key))
    if prose < 30:
        return False
    if issuing:
        return True
    head = ""
    for ln in tail[:3]:
        head += ln.key
        if ATTACH_START.match(ln.key) or ATTACH_START.match(head):
            return True
        if SENTENCE_PUNCT.search(ln.key):
            break
    return False


def find_body(page: Page, title: str | None, title_lines: tuple[int, int] | None) -> Body:
    """Locate body start/end, 主送 line and signature."""
    lines = page.lines
    c0, c1 = find_container(page)
    body = Body(container=(c0, c1))
    if c0 >= c1:
        return body
    title_key = squeeze(view(title or ""))  # lines are matched by their view
    lo = c0
    if title_lines and c0 <= title_lines[0] < c1:
        lo = title_lines[1]
    # a 公报 or 公告 may print its issuing offices and date under the title
    head_sig = signature_under_title(lines, lo, min(c1, lo + 8))
    if head_sig is not None:
        lo = head_sig.date_line + 1
    # a 主送 line near the top wins; else the first line that is not header
    start = -1
    for i in range(lo, min(c1, lo + 15)):
        t = lines[i].key
        if lines[i].link_ratio > 0.5:
            continue
        if is_recipient(t):
            start = i
            body.recipients_line = i
            break
        if not _is_header_line(lines[i], title_key):
            break
    if start < 0:
        for i in range(lo, c1):
            ln = lines[i]
            if ln.link_ratio > 0.5 or _is_header_line(ln, title_key):
                continue
            start = i
            break
    if start < 0:
        return body
    # the end: a stop marker, else the container's end
    stop = c1
    for i in range(start + 1, c1):
        if STOP.match(lines[i].key):
            stop = i
            break
    sig = find_signature(lines, start + 1, stop)
    end = stop
    if sig is None and stop == c1:
        # a signature printed just after the content block (right-aligned div), or
        # whose date line falls just past it (a flat page's offices over a date)
        after = find_signature(lines, start + 1, min(len(lines), c1 + 6))
        if after is not None and (after.offices or after.start < after.date_line):
            body.signature = after
            end = min(after.start, stop)
    if sig is not None:
        body.signature = sig
        if not _tail_is_attachment(
            lines, sig.date_line + 1, stop, bool(ISSUING.search(view(title or "")))
        ):
            end = sig.start
    if body.signature is None and head_sig is not None:
        body.signature = head_sig
    # trailing chrome / link lines, and an 附件 label whose files were links
    while end > start and (
        lines[end - 1].link_ratio > 0.5
        or is_chrome(lines[end - 1].key)
        or _BARE_ATTACH.match(lines[end - 1].key)
    ):
        end -= 1
    body.start, body.end = start, end
    return body


def body_text(lines: Sequence[Line]) -> str:
    """Body lines as text: paragraphs as lines, table rows with tab-separated cells."""
    out = []
    for ln in lines:
        if ln.link_ratio > 0.5 and not SENTENCE_PUNCT.search(ln.key):
            continue
        if is_chrome(ln.key):
            continue
        out.append(ln.text)
    return "\n".join(out)
