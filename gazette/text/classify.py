"""Is a page an official document (公文)? Placeholders, genres, evidence.

>>> is_placeholder("标题和内容已经清空")
True
>>> genre_of("广东省人民政府办公厅关于做好2024年春节期间有关工作的通知")
'通知'
>>> genre_of("关于印发《若干措施》的通知（试行）")
'通知'
>>> genre_of("山西品牌丝路行南美站活动在智利举行") is None
True
>>> genre_of("一图读懂《某市促进消费若干措施》"), genre_of("《国务院关于某某的通知》")
(None, '通知')
>>> genre_of("京政办发〔2016〕26号《北京市人民政府办公厅关于印发〈要点〉的通知》")
'通知'
>>> genre_of("市政府关于印发《某某办法》")
'办法'

"""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(
    r"标题和内容已经?清空|内容已经?(?:被)?(?:清空|删除)|该文章已(?:被)?删除|页面不存在|404\s*Not\s*Found",
    re.IGNORECASE,
)

GENRES = (
    "实施意见|指导意见|实施方案|工作方案|实施细则|管理办法|暂行办法|若干措施|若干规定|"
    "通知|通告|公告|意见|决定|决议|办法|批复|复函|函|通报|请示|纪要|命令|规定|方案|细则|规则|"
    "公报|议案|答复|章程|指引|措施|守则|准则|须知|公示|令|报告|规划|计划|要点|条例"
)
GENRE_END = re.compile(rf"(?P<genre>{GENRES})(?:\s*[（(][^）)]{{1,15}}[）)])?[》」”]?$")


#: column names that end like a genre but title a list, not a document
COLUMN_NAMES = re.compile(
    r"^(?:通知公告|公示公告|公告公示|通知通告|通告公告|最新公告|最新通知|工作通知|文件通知|"
    r"政策文件|政府文件|部门文件|规范性文件|政策法规|法规文件|公告|通知|通告|公示|意见|决定)$"
)
#: a title that presents another document (``一图读懂《…方案》``): a prefix, then
#: the document's name in 《》 to the end
_PRESENTS = re.compile(r"^(?P<prefix>[^《]+)《[^《》]+》\s*$")
_PRESENTING = re.compile(
    r"关于|印发|转发|发布|公布|批转|颁布|修改|废止"
    # a 文号 in front: the repost's headline ``京政办发〔2016〕26号《…的通知》`` is the document
    r"|[〔\[［【（(]\s*\d{4}\s*[〕\]］】）)]\s*第?\s*\d{1,6}\s*号\s*$"
)
#: procurement and tender announcements: business notices, not 公文
PROCUREMENT = re.compile(
    r"(?:中标|成交|招标|询价|磋商|竞价|比选|流标|废标|竞争性谈判|采购)[^。]{0,20}(?:公告|公示)\s*$"
)
_SENTENCE_END = re.compile(r"[。；;！!？?]")
_CLAUSE = re.compile(r"[，,][^，,]{4,}[，,]")


def has_prose(text: str) -> bool:
    """A line with at least ten characters before a sentence end, or a clause-long
    lead-in ending in a colon (``…，现提出如下意见：``); linear time.

    >>> has_prose("标题"), has_prose("现将有关事项通知如下，请认真贯彻执行。")
    (False, True)
    >>> has_prose("为增强我市对国内外资本的吸引力,发挥招商引资在产业转型升级中的作用,全面提升核心竞争力,现提出如下意见:")
    True
    >>> has_prose("各区人民政府,市政府各部门:")
    False
    """
    for line in text.split("\n"):
        if _SENTENCE_END.search(line, 10):
            return True
        if len(line) >= 40 and line.rstrip()[-1:] in (":", "：") and _CLAUSE.search(line):
            return True
    return False


def is_placeholder(text: str | None) -> bool:
    """A cleared or deleted page (``标题和内容已经清空``)."""
    return bool(text) and bool(PLACEHOLDER.search(text or ""))


def genre_of(title: str | None) -> str | None:
    """The document genre a title ends with (通知, 意见 ...), or None."""
    if not title:
        return None
    title = title.strip()
    m = GENRE_END.search(title)
    if m is None:
        return None
    presented = _PRESENTS.match(title)
    if presented and not _PRESENTING.search(presented.group("prefix")):
        return None  # 一图读懂《…方案》: about a document, not the document
    return m.group("genre")


def is_notice(
    title: str | None,
    body: str | None,
    *,
    doc_number: str | None,
    has_signature: bool,
    has_metadata: bool,
    has_headnote: bool,
    recipients: bool,
) -> bool:
    """Decide whether the page carries an official document as its main content.

    A 公文 has a genre title (通知, 意见 ...) and at least one mark of an
    issued document: its own 发文字号, a signature (office + date), a
    disclosure metadata table, a 主送 line, or a 会议通过 headnote.

    >>> is_notice("关于做好防汛工作的通知", "各区：" + "现将有关事项通知如下。" * 3, doc_number=None, has_signature=True,
    ...           has_metadata=False, has_headnote=False, recipients=True)
    True
    >>> is_notice("全市经济运行平稳", "记者从……", doc_number=None, has_signature=False,
    ...           has_metadata=False, has_headnote=False, recipients=False)
    False
    """
    if not title or not body or is_placeholder(title) or is_placeholder(body[:200]):
        return False
    if len(body) < 30:
        return False
    genre = genre_of(title)
    if genre is None or COLUMN_NAMES.match(title.strip()):
        return False
    if not has_prose(body):
        return False
    if genre in ("公告", "公示") and PROCUREMENT.search(title) and not (doc_number or recipients):
        return False  # a tender or award announcement
    if genre == "条例" and not (doc_number or recipients or has_signature):
        return False  # a law text without the document that issues it
    evidence = sum((bool(doc_number), has_signature, has_metadata, has_headnote, recipients))
    return evidence >= 1
