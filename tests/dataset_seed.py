"""Fixture: one Guangdong notice in six copies on one reposting site, for the dataset tests.

Modelled on ``/work/shared/seed/`` (``seed-page.html``, ``seed-flat.html``: a
provincial 转发 notice reposted on a labour-agency site, with hotline, byline,
disclaimer, footer and related list, its words masked as ``***``). The text
here is written for this fixture (not the seed's); the six copies are the
issue's: the site's own article page, a flat copy (bare ``<p>`` lines), a copy
with ``[]`` brackets and the mask filled in, a traditional-character copy, one
with pinyin glosses, one whose 文号 line is gone. :func:`with_attachments` is a
seventh copy that brings two attachments.
"""

from __future__ import annotations

import html
from pathlib import Path

DOCNO = "粤府办〔2013〕52号"
CITED = "国办发〔2013〕100号"
ISSUER = "广东省人民政府办公厅"
MASKED_WORD = "国务院办公厅"
TITLE = f"{ISSUER}转发{MASKED_WORD}关于进一步做好政务信息发布和政策解读工作意见的通知"
RECIPIENTS = "各地级以上市人民政府，各县（市、区）人民政府，省政府各部门、各直属机构："
PARAGRAPHS = [
    f"现将《{MASKED_WORD}关于进一步做好政务信息发布和政策解读工作的意见》（{CITED}）转发给你们，"
    "经省人民政府同意，结合本省情况提出如下贯彻意见，请一并认真执行。",
    "一、把新闻发布会作为发布权威信息的主要渠道",
    "省政府新闻办公室要按照省政府年度重点任务和群众普遍关心的问题，定期安排新闻发布会，"
    "各部门主要负责同志每年至少出席一次，新闻发言人每季度至少出席一次，回答记者提问。",
    "二、发挥政府门户网站发布信息的平台作用",
    "各级政府网站要及时、准确、完整地发布行政审批、财政预算决算、保障性住房和食品药品安全等"
    "方面的信息，对涉及本地区本部门的重要舆情，要在规定时限内通过网站作出回应。",
    "三、规范政务微博微信的信息发布",
    "各地各部门要建立政务新媒体的登记、审核、发布和回复制度，明确专人负责日常管理，"
    "对网民提出的问题认真研究、及时答复，不得发布与本部门职能无关的信息。",
    "四、健全政策解读和舆情回应机制",
    "出台重要政策时，起草部门要同步准备解读材料，组织专家和媒体做好宣传阐释，"
    "对社会误解和不实传言，要及时澄清，主动引导，切实提升政府公信力。",
]
DATE_LINE = "2013年11月23日"
SITE_CHROME_TOP = '<div class="top"><span class="hotline">服务热线：020-0000 0000</span></div>'
NAV = '<div class="nav"><a href="/">首页</a> <a href="/news/">人力资讯</a> <a href="/about/">关于我们</a></div>'
FOOTER = (
    '<div class="disclaimer">本文内容转载自网络，仅供参考，不对其时效性和真实性负责</div>'
    '<div class="footer-links"><a href="/about/">关于我们</a> <a href="/join/">加入我们</a></div>'
)


def _mask(text: str) -> str:
    return text.replace(MASKED_WORD, "***")


def _article(title: str, lines: list[str], byline: str = "编辑 于2022年05月27日发表") -> str:
    body = "\n".join(lines)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}_人力资讯</title></head><body>\n{SITE_CHROME_TOP}\n{NAV}\n"
        f'<div class="article"><h1 class="title">{html.escape(title)}</h1>\n'
        f'<div class="info">{byline}</div>\n<div class="content">\n{body}\n</div></div>\n'
        f"{FOOTER}\n</body></html>\n"
    )


def _lines(docno: str | None, mask: bool, extra: list[str] | None = None) -> list[str]:
    fix = _mask if mask else (lambda s: s)
    out = []
    if docno:
        out.append(f'<p style="text-align:center">{html.escape(docno)}</p>')
    out.append(f"<p>{RECIPIENTS}</p>")
    out += [f"<p>{html.escape(fix(p))}</p>" for p in PARAGRAPHS]
    out += extra or []
    out.append(f'<p style="text-align:right">{ISSUER}</p>')
    out.append(f'<p style="text-align:right">{DATE_LINE}</p>')
    return out


def _traditional(text: str) -> str:
    import opencc

    return str(opencc.OpenCC("s2t").convert(text))


_GLOSSES = {"发": "发(fā)", "各": "各(gè)", "省": "省(shěng)", "政": "政(zhèng)"}


def _pinyin(text: str) -> str:
    out = []
    for i, ch in enumerate(text):
        out.append(_GLOSSES.get(ch, ch) if i % 7 == 0 else ch)
    return "".join(out)


def pages() -> dict[str, str]:
    """``{path: html}`` of the six copies (``/news/<n>.html``) and the list page ``/``."""
    copies = {
        # the copy that arrives first in the issue: no 文号 line, masked
        "/news/2201.html": _article(_mask(TITLE), _lines(None, True)),
        # the site's own article page (masked)
        "/news/2202.html": _article(_mask(TITLE), _lines(DOCNO, True)),
        # a flat copy: every line a bare <p> in one block, the title too
        "/news/2203.html": (
            '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{html.escape(_mask(TITLE))}</title></head><body><div>\n"
            f"<p>{html.escape(_mask(TITLE))}</p>\n<p>发布时间：2022-05-28</p>\n"
            + "\n".join(
                line.replace(' style="text-align:center"', "").replace(
                    ' style="text-align:right"', ""
                )
                for line in _lines(DOCNO, True)
            )
            + "\n<p>上一篇：无</p></div></body></html>\n"
        ),
        # [] brackets and the mask filled in: the only copy with the whole title
        "/news/2204.html": _article(TITLE, _lines("粤府办[2013]52号", False)),
        # traditional characters (masked)
        "/news/2205.html": _traditional(_article(_mask(TITLE), _lines(DOCNO, True))),
        # pinyin glosses injected after characters (masked)
        "/news/2206.html": _article(_mask(TITLE), [_pinyin(line) for line in _lines(DOCNO, True)]),
    }
    return {"/": index(list(copies)), **copies}


def index(paths: list[str]) -> str:
    items = "\n".join(
        f'<li><a href="{p}">{html.escape(_mask(TITLE))}（转载{i + 1}）</a></li>'
        for i, p in enumerate(paths)
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>人力资讯</title>'
        f'</head><body>{NAV}<ul class="list">\n{items}\n</ul></body></html>\n'
    )


ATTACHMENTS = [
    ("附件1：广东省政务信息发布工作任务分工表", "/files/2013-52-1.doc"),
    ("附件2：政策解读材料报送表", "/files/2013-52-2.xls"),
]


def with_attachments() -> str:
    """A seventh copy (masked, with 文号) whose page links the notice's two attachments."""
    extra = [f'<p><a href="{url}">{html.escape(title)}</a></p>' for title, url in ATTACHMENTS]
    return _article(_mask(TITLE), _lines(DOCNO, True, extra), byline="于2022年06月02日发表")


def write_site(root: Path, extra: dict[str, str] | None = None) -> None:
    """Write the site (and ``extra`` pages, linked from the list) under ``root``."""
    site = pages()
    if extra:
        copies = [p for p in site if p != "/"] + list(extra)
        site = {**site, **extra, "/": index(copies)}
    for path, text in site.items():
        target = root / (path.lstrip("/") or "index.html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
