"""Page -> raw notice fields (strings as printed; the loader canonicalises).

:func:`analyse` is the whole field logic over a parsed :class:`Page`:
title, metadata table, body and signature, 发文字号 (own vs cited), dates,
issuer, recipients, attachments. No Scrapy here.
"""

from __future__ import annotations

import re
from typing import Any

from gazette.text import classify, issuers
from gazette.text.content import (
    HEADNOTE,
    SENTENCE_PUNCT,
    Body,
    body_text,
    docno_with_date,
    find_body,
    is_chrome,
    is_recipient,
)
from gazette.text.dates import find_dates, parse_date
from gazette.text.docno import canonical, find_all, is_docno_line, split_serial
from gazette.text.metadata import Field, first, has_labels, parse_lines, split_labels
from gazette.text.normalize import squeeze, tight, view
from gazette.text.page import HEADING_TAGS, MAX_NODES, Line, Page

TITLE_SEP = re.compile(r"\s*(?:_|\||｜|--|——|—|\s-\s|\s-|-\s)\s*")
META_TITLES = ("articletitle", "title", "og:title", "dc.title", "headline", "subject")
META_PUBLISHED = (
    "pubdate",
    "publishdate",
    "firstpublishedtime",
    "article:published_time",
    "og:release_date",
    "ptime",
    "publishtime",
    "dc.date",
    "dc.date.issued",
    "releasedate",
)
REPOST_DATE = re.compile(
    r"于\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{1,2}-\d{1,2})\s*(?:发表|发布)"
)
MASK = re.compile(r"\*{2,}|＊{2,}|×{2,}|■{2,}|□{2,}|○{3,}|X{3,}|x{3,}")
ATTACH_EXT = re.compile(
    r"\.(?:pdf|docx?|xlsx?|wps|et|ofd|zip|rar|7z|pptx?|txt|csv|tif|ceb)(?:$|[?#])", re.I
)
_HAN = re.compile(r"[\u3400-\u9fff]")
EMPTY_VALUES = ("无", "暂无", "-", "--", "/", "空")
_SPLIT_RECIPIENTS = re.compile(r"[，,；;]")


def _title_candidates(page: Page) -> list[str]:
    out: list[str] = []
    for name in META_TITLES:
        value = page.meta(name)
        if value:
            out.append(value.strip())
    if page.html_title:
        segs = [s for s in TITLE_SEP.split(page.html_title) if s]
        if segs:
            out.append(segs[0])
            out.append(max(segs, key=len))
        out.append(page.html_title)
    # a title of a 公文 is Chinese: a bare domain (``chinadazhai.com``) is the site's name
    return [c for c in dict.fromkeys(out) if len(squeeze(c)) >= 4 and len(_HAN.findall(c)) >= 4]


def find_title(
    page: Page, table_title: str | None = None
) -> tuple[str | None, tuple[int, int] | None]:
    """The document's own title and the lines that print it.

    ``table_title`` is the metadata table's 标题/名称 value, when there is one.
    """
    lines = page.lines
    cands = _title_candidates(page)
    if table_title:
        cands.insert(0, table_title)
    keys = {squeeze(c) for c in cands}
    firsts = {k[:1] for k in keys}
    for i, ln in enumerate(lines):
        if ln.link_ratio > 0.5 or squeeze(ln.text[:2])[:1] not in firsts:
            continue  # (a line that cannot begin a candidate costs one short squeeze)
        joined = ""
        for k in range(i, min(i + 4, len(lines))):
            if lines[k].link_ratio > 0.5:
                break
            joined += squeeze(lines[k].text)
            if joined in keys:
                text = "".join(lines[j].text for j in range(i, k + 1))
                return text, (i, k + 1)
            if not any(key.startswith(joined) for key in keys):
                break
    # no candidate printed on the page: a genre-ending heading or line
    best: tuple[float, int, int] | None = None
    # which lines may end a title (one search a line; the rest only near them)
    can_end = [
        len(ln.key) <= 4 or (len(ln.key) <= 150 and bool(_TITLE_END.search(ln.key))) for ln in lines
    ]
    for i, ln in enumerate(lines):
        if ln.link_ratio > 0.3 or len(ln.text) > 150 or not any(can_end[i : i + 3]):
            continue
        joined = ""
        for k in range(i, min(i + 3, len(lines))):
            t = lines[k].text
            if (
                lines[k].link_ratio > 0.3
                or lines[k].row
                or "。" in t
                or is_chrome(lines[k].key)
                or has_labels(lines[k].cells)
            ):
                break
            joined += t
            if len(joined) > 150:
                break
            if not can_end[k]:
                continue
            if classify.genre_of(view(joined)) and 6 <= len(joined):
                score = 1.0
                if ln.tag in HEADING_TAGS:
                    score += 2
                if "title" in (ln.el.get("class") or "").lower():
                    score += 2
                if "。" in joined or "，" in joined:
                    score -= 3
                score -= i / max(len(lines), 1)
                if best is None or score > best[0]:
                    best = (score, i, k + 1)
                break
    if best is not None and best[0] > 0:
        _, i, k = best
        return "".join(lines[j].text for j in range(i, k)), (i, k)
    if table_title:
        return table_title, None
    if cands:
        return cands[0], None
    return None, None


Span = tuple[int, int]
#: how a line that ends a title ends: a genre word, maybe a bracketed note or a quote
_TITLE_END = re.compile(
    rf"(?:{classify.GENRES})(?:\s*[（(][^）)]{{1,15}}[）)])?[》」”]?$|[）)》」”]$"
)
#: a time of day right after a date: the date is a timestamp
_CLOCK = re.compile(r"\s*\d{1,2}[:：]\d{2}(?!\d)")


def _own_title(page: Page, title: str | None, at: Span | None) -> tuple[str | None, Span | None]:
    """The document's own title, and its lines, when the page's heading is not it.

    Reposts head the text with ``重磅！国务院办公厅关于…的意见`` and then print
    the document's own title above the 文号: that shorter title wins. A repost
    may also head it with words of its own (``事关暑期安全！市政府最新通知``)
    and a lead paragraph: a title-shaped line right above the document's
    文号 or 主送 line, before either has been seen, is then the own title.
    The lines returned are where the document's text starts from.
    """
    if not title or not at:
        return title, at
    key = squeeze(title)
    lines = page.lines
    at = _past_repeats(lines, key, at)
    again = _heading_again(lines, key, at)
    if again is not None:
        copy, span = again
        return (title if squeeze(copy) == key else copy), span
    for i in range(at[1], min(len(lines), at[1] + 6)):
        if _opens_text(lines[i]):
            break  # the document's text has begun: a title further down is another's
        if i > at[1] and squeeze(lines[i - 1].text) in key:
            continue  # the tail of a title printed again over several lines
        joined = ""
        for k in range(i, min(i + 3, len(lines))):
            ln = lines[k]
            if ln.link_ratio > 0.3 or "。" in ln.key:
                break
            joined += ln.text
            sq = squeeze(joined)
            if sq == key:
                return title, (i, k + 1)  # printed again as it is: no wrapper to remove
            if len(sq) >= 8 and sq in key and classify.genre_of(view(joined)):
                return joined, (i, k + 1)
            if sq not in key:
                break
    # a heading with no genre (``国庆出行注意！这些路段交通管制``) is the site's own:
    # the document's title may also stand over its first paragraph (a 通告)
    news = not classify.genre_of(view(title))
    for d in range(at[1], min(len(lines), at[1] + 8)):
        if not _opens_text(lines[d]) or (SENTENCE_PUNCT.search(lines[d].key) and not news):
            continue
        if d == at[1]:
            if news:
                continue
            break  # the heading is followed by the 文号 or 主送 line: it is the title
        top = d - 1
        if lines[top].link_ratio > 0.3 or is_chrome(lines[top].key):
            if news:
                continue
            break
        above = lines[top - 1] if top - 1 >= at[1] else None
        if above is not None and above.link_ratio <= 0.3 and not is_chrome(above.key):
            head = lines[top].key
            if head.startswith("关于") and issuers.is_office_line(above.key):
                top -= 1  # 联合发文: the offices over ``关于…的通知``
            elif "关于" not in head and "关于" in above.key and not TITLE_BREAKER.search(above.key):
                top -= 1  # a title broken over two lines
        own = "".join(lines[j].text for j in range(top, d))
        if (
            len(squeeze(own)) >= 8
            and not TITLE_BREAKER.search(own)
            and classify.genre_of(view(own))
        ):
            return (title if squeeze(own) == key else own), (top, d)
        if not news:
            break
    return title, at


#: how far below the page's heading its copy over the document's head is looked for
HEADING_AGAIN_LINES = 40


def _heading_again(lines: list[Line], key: str, at: Span) -> tuple[str, Span] | None:
    """The heading printed again further down, right over a 文号 or 主送 line: the
    head of the document itself (GB/T 9704: title, then 文号 or 主送), with a
    forum's or a portal's post header (author, counters, a lead-in) between the
    two copies. The copy may lack the heading's wrapper (``【转】``, ``重磅！``).
    → (the copy's text, its lines), or ``None`` when the document's text begins
    before any copy. Bounded: :data:`HEADING_AGAIN_LINES` lines, three per copy.
    """
    end = min(len(lines), at[1] + HEADING_AGAIN_LINES)
    for i in range(at[1] + 1, end):
        if is_docno_line(lines[i - 1].key) or is_recipient(lines[i - 1].key):
            return None  # the document's head is here already
        joined = ""
        for k in range(i, min(i + 3, end)):
            joined += lines[k].text
            sq = squeeze(joined)
            if sq not in key:
                break
            whole = sq == key or (
                len(sq) >= max(8, 0.6 * len(key)) and bool(classify.genre_of(view(joined)))
            )
            nxt = lines[k + 1].key if k + 1 < len(lines) else ""
            if whole and (is_docno_line(nxt) or is_recipient(nxt)):
                return joined.strip(), (i, k + 1)
    return None


def _past_repeats(lines: list[Line], key: str, at: Span) -> Span:
    """The heading's lines with the copies of it printed right below (a headline
    printed twice, once on one line and once broken over two)."""
    while True:
        joined = ""
        for k in range(at[1], min(at[1] + 3, len(lines))):
            joined += squeeze(lines[k].text)
            if joined == key:
                at = (at[0], k + 1)
                break
            if not key.startswith(joined):
                return at
        else:
            return at


def _opens_text(ln: Line) -> bool:
    """A 文号 line, a 主送 line or a sentence: the document's own text has begun."""
    text = ln.key
    return bool(
        is_docno_line(text)
        or docno_with_date(text)
        or is_recipient(text)
        or SENTENCE_PUNCT.search(ln.key)
    )


#: what a title line never holds: sentence ends, a colon ending a lead-in
TITLE_BREAKER = re.compile(r"[。！？!?；;]|[:：]\s*$")


def _clean_title(title: str | None) -> tuple[str | None, str | None]:
    """Title without its 文号 or a wrapping 《》; returns (title, docno_raw)."""
    if not title:
        return None, None
    title = title.strip()
    raw = None
    hits = find_all(title)
    for h in hits:
        before, after = title[: h.start], title[h.end :]
        # a number printed at either end of the title is the document's own
        if not before.strip(" （(【[") or not after.strip(" ）)】]"):
            raw = h.raw
            title = (before + after).strip(" （）()【】[]")
            break
    title = tight(title)
    # a reposting site's tag in front: 【转载】, 【重磅】, 转发：
    m = _TITLE_TAG.match(title)
    if m and classify.genre_of(view(title[m.end() :])):
        title = title[m.end() :]
    if title.startswith("《") and title.endswith("》") and title.count("《") == 1:
        title = title[1:-1]
    return title.strip() or None, raw


_TITLE_TAG = re.compile(
    r"^(?:【[^】]{1,8}】|\[[^\]]{1,8}\]|(?:转载|转发|原创|重磅|收藏)\s*[:：!！|])\s*"
)


#: how long a run-in piece may grow before a line is left as it is (a title or 主送)
_RUN_IN_MAX = 200


def _run_in_pieces(text: str, key: str) -> list[tuple[int, int]]:
    """Where a flattened paragraph that runs the title, the 主送 line and the text
    together (parted by spaces) breaks into GB/T 9704's own lines.

    Only a line that opens with a title-shaped piece (a genre at its end, no
    sentence end) or a 主送 piece (ending in a colon) is split; at most
    ``_RUN_IN_MAX`` characters are looked at per piece, so the cost is linear.

    >>> t = "某市人民政府关于做好某项工作的意见 各区人民政府，市政府各部门： 为做好某项工作，现提出如下意见："
    >>> [t[a:b] for a, b in _run_in_pieces(t, t)]
    ['某市人民政府关于做好某项工作的意见', '各区人民政府，市政府各部门：', '为做好某项工作，现提出如下意见：']
    >>> _run_in_pieces("广东省 人民政府", "广东省 人民政府")
    []
    >>> t = "某市人民政府关于做好某项工作的意见 各区人民政府(管委会…"
    >>> _run_in_pieces(t, t)
    []
    """
    cuts: list[tuple[int, int]] = []
    start = 0
    at = key.find(" ")
    while at > 0 and at - start <= _RUN_IN_MAX and len(cuts) < 2:
        piece = key[start:at]
        if cuts:
            ok = is_recipient(piece)  # the 主送 line must follow the title
        else:
            ok = (
                len(piece) >= 6
                and not TITLE_BREAKER.search(piece)
                and classify.genre_of(piece) is not None
            )
        if ok:
            cuts.append((start, at))
            start = at + 1
        at = key.find(" ", at + 1)
    if len(cuts) < 2:
        return []  # a title alone, or a title over a cut-off summary: not a run-in
    cuts.append((start, len(text)))
    return cuts


def _split_run_in(page: Page) -> None:
    """Give each piece of a run-in paragraph (:func:`_run_in_pieces`) its own line."""
    out: list[Line] = []
    changed = False
    for ln in page.lines:
        pieces = (
            _run_in_pieces(ln.text, ln.key)
            if " " in ln.key and len(ln.key) >= 40 and ln.link_ratio <= 0.3 and not ln.row
            else []
        )
        if not pieces:
            out.append(ln)
            continue
        changed = True
        for a, b in pieces:
            out.append(Line(ln.text[a:b], ln.el, 0, ln.tag, key=ln.key[a:b]))
    if changed:
        for i, ln in enumerate(out):
            ln.index = i
        page.lines = out


#: a metadata table's 标题 line is short; longer lines are not read for it
_TABLE_LINE_MAX = 400


def analyse(page: Page) -> dict[str, Any]:
    """Raw field values of one page (see :class:`gazette.items.Notice`)."""
    _split_run_in(page)
    lines = page.lines
    table_title = None
    for ln in lines:
        if len(ln.key) <= _TABLE_LINE_MAX and ("题" in ln.key or "名称" in ln.key):
            for name, value in split_labels(ln.cells):
                if name == "title" and value and len(value) >= 4:
                    at = ln.cells.rfind(value)
                    same = len(ln.text) == len(ln.key)
                    table_title = ln.text[at : at + len(value)] if same and at >= 0 else value
                    break
        if table_title:
            break
    title_raw, head_lines = find_title(page, table_title)
    title_raw, title_lines = _own_title(page, title_raw, head_lines)
    title, title_docno = _clean_title(title_raw)
    body: Body = find_body(page, title_raw, title_lines)
    in_body = range(body.start, body.end) if body.start >= 0 else range(0)
    outside = [
        (i, ln.text) for i, ln in enumerate(lines) if i not in in_body and ln.link_ratio <= 0.5
    ]
    fields = parse_lines([lines[i].cells for i, _ in outside])
    fields = [Field(f.field, f.value, outside[f.line][0]) for f in fields]

    out: dict[str, Any] = {"title": title}

    # -- 发文字号: metadata table, line under the title, the title itself
    docno_raw = None
    # the first 文号 field that holds one (a widget's ``字号：大 中 小`` does not)
    for f in fields:
        if f.field == "doc_number" and canonical(f.value):
            docno_raw = f.value
            break
    if docno_raw is None:
        lo = title_lines[1] if title_lines else 0
        hi = body.start if body.start >= 0 else min(len(lines), lo + 10)
        for i in range(max(0, (title_lines[0] if title_lines else 0) - 3), max(hi, lo)):
            if title_lines and title_lines[0] <= i < title_lines[1]:
                continue
            if is_docno_line(lines[i].key) or docno_with_date(lines[i].key):
                docno_raw = lines[i].text
                break
            if i + 1 < len(lines) and split_serial(lines[i].key, lines[i + 1].key):
                docno_raw = lines[i].text + lines[i + 1].text  # 某部令 / 2024年第5号
                break
    if docno_raw is None and title_docno:
        docno_raw = title_docno
    if docno_raw is not None:
        hits = find_all(docno_raw)
        if hits:
            docno_raw = hits[0].raw
    out["doc_number_raw"] = docno_raw
    own = canonical(docno_raw) if docno_raw else None

    # -- body, recipients, references
    blines = body.lines(page)
    text = body_text(blines)
    out["body"] = text or None
    recipients: list[str] = []
    if body.recipients_line is not None:
        r = lines[body.recipients_line].text.rstrip("：: ")
        recipients = [x.strip() for x in _SPLIT_RECIPIENTS.split(r) if x.strip()]
    out["recipients"] = recipients
    refs: list[str] = []
    for h in find_all(text or ""):
        if h.canonical != own and h.canonical not in refs:
            refs.append(h.canonical)
    out["references"] = refs

    # -- signature, dates, issuer
    sig = body.signature
    headnote_date = None
    if title_lines:
        for i in range(title_lines[1], min(len(lines), title_lines[1] + 4)):
            if HEADNOTE.match(lines[i].key):
                found = find_dates(lines[i].key)
                if found:
                    headnote_date = found[0].iso
                break
    f_date = first(fields, "date")
    date = sig.date if sig and sig.date else None
    if date is None and f_date:
        date = parse_date(f_date.value)
    if date is None:
        date = headnote_date
    out["date"] = date

    published = None
    # the 发布日期 nearest the title: sidebars and related lists carry dates too
    anchor = head_lines[0] if head_lines else (body.start if body.start >= 0 else 0)
    dated = [
        (abs(f.line - anchor), f.line, parse_date(f.value))
        for f in fields
        if f.field == "published"
    ]
    dated = [d for d in dated if d[2]]
    if dated:
        published = min(dated)[2]
    if published is None:
        for ln in lines[: body.start if body.start > 0 else len(lines)]:
            m = REPOST_DATE.search(ln.key)
            if m:
                published = parse_date(m.group(1))
                break
    if published is None and head_lines:
        # an info line under the heading that starts with the date: "2024-03-07 18:00 来源：…"
        # between the heading and the document's text only: the signature's date is not it
        stop = body.start if body.start >= 0 else head_lines[1] + 4
        for ln in lines[head_lines[1] : min(stop, head_lines[1] + 4)]:
            found = find_dates(ln.key) if len(ln.text) <= 80 else []
            if not found or HEADNOTE.match(ln.key):
                continue
            if found[0].start == 0 or _CLOCK.match(ln.key, found[0].end):
                # "2024-03-07 18:00 来源：…", "某公众号 2022-05-20 18:03 发表于河南"
                published = found[0].iso
                break
    if published is None:
        for name in META_PUBLISHED:
            v = page.meta(name)
            if v and parse_date(v):
                published = parse_date(v)
                break
    out["published"] = published

    issuer = None
    co: list[str] = []
    if sig and sig.offices:
        issuer, co = sig.offices[0], sig.offices[1:]
    f_issuer = first(fields, "issuer")
    if issuer is None and f_issuer:
        parts = issuers.split_cell(f_issuer.value)
        if parts:
            issuer, co = parts[0], parts[1:]
    if issuer is None and title:
        # the printed offices of the title (the view decides, the text is kept)
        printed = title_raw or title  # before tight(): joint offices are parted by spaces
        named = issuers.offices_in_title(view(printed)) or issuers.offices_in_title(view(title))
        if named:
            at = 0
            spans = []
            for office in named:
                at = view(printed).find(office, at)
                spans.append(printed[at : at + len(office)] if at >= 0 else office)
                at += len(office)
            issuer, co = spans[0], spans[1:]
    if issuer is None:
        issuer = issuers.office_for_code(own)
    out["issuer"] = issuer
    out["co_issuers"] = co

    f_index = first(fields, "index_number")
    out["index_number"] = f_index.value if f_index else None
    f_topic = first(fields, "topic")
    out["topic"] = f_topic.value if f_topic and f_topic.value not in EMPTY_VALUES else None
    f_validity = first(fields, "validity")  # 有效性, where the page prints it
    if f_validity and f_validity.value not in EMPTY_VALUES and len(f_validity.value) <= 20:
        out["validity"] = f_validity.value

    # -- attachments
    atts: list[dict[str, str]] = []
    seen: set[str] = set()
    for n, a in enumerate(page.root.iter("a")):
        if n >= MAX_NODES:
            break  # (the page budget: a hostile page of links costs no more than a real one)
        href = (a.get("href") or "").strip()
        label = " ".join("".join(a.itertext()).split())
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        if ATTACH_EXT.search(href) or (label.startswith("附件") and len(label) > 2):
            url = page.absolute(href)
            if url in seen:
                continue
            seen.add(url)
            atts.append({"title": label or href.rsplit("/", 1)[-1], "url": url})
    out["attachments"] = atts

    out["masked"] = bool(MASK.search(title or "") or MASK.search(text or ""))
    out["is_notice"] = classify.is_notice(
        view(title) if title else None,
        text,
        doc_number=own,
        has_signature=bool(sig and sig.offices and sig.date),
        has_metadata=bool(f_issuer or first(fields, "doc_number") or f_date),
        has_headnote=headnote_date is not None,
        recipients=bool(recipients),
    )
    return out
