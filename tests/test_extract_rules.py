"""Field rules of the extraction core, each on a small inline page."""

from __future__ import annotations

from gazette.extract import extract_html


def page(body: str, title: str = "", head: str = "") -> bytes:
    return (
        f'<html><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
        f"<body>{body}</body></html>"
    ).encode()


NOTICE = """
<div class="nav"><a href="/">首页</a> <a href="/tzgg/">通知公告</a></div>
<div class="art"><h1>关于做好2024年春季森林防火工作的通知</h1>
<div class="info">{info}</div>
<div class="con">
<p>各乡镇人民政府，县直各单位：</p>
<p>当前正值春季森林防火关键期，为切实做好森林防火工作，现将有关事项通知如下。</p>
<p>一、加强巡查管控，严格野外用火管理，确保不发生重大森林火灾。</p>
{sig}
</div></div>
<div class="footer">主办单位：某县人民政府 <a href="/map">网站地图</a></div>
"""
SIG = "<p>某县森林防灭火指挥部办公室</p><p>2024年3月6日</p>"


def extract(info: str = "", sig: str = SIG, **kw: str) -> dict:
    html = page(
        NOTICE.format(info=info, sig=sig), title="关于做好2024年春季森林防火工作的通知_某县"
    )
    return extract_html(html, **kw)


def test_info_line_date_is_published_signature_date_is_date():
    r = extract(info="2024-03-07 18:00 来源：县应急管理局")
    assert r["published"] == "2024-03-07"
    assert r["date"] == "2024-03-06"
    assert r["issuer"] == "某县森林防灭火指挥部办公室"
    assert r["is_notice"] is True


def test_body_from_recipients_to_last_paragraph():
    r = extract(info="发布时间：2024-03-07")
    assert r["body"].startswith("各乡镇人民政府，县直各单位：")
    assert r["body"].endswith("确保不发生重大森林火灾。")
    assert "主办单位" not in r["body"] and "某县森林防灭火指挥部办公室" not in r["body"]
    assert r["recipients"] == ["各乡镇人民政府", "县直各单位"]


def test_chinese_numeral_signature_date():
    r = extract(sig="<p>某县人民政府</p><p>二〇二四年三月六日</p>")
    assert r["date"] == "2024-03-06"
    assert r["issuer"] == "某县人民政府"


def test_one_line_signature():
    r = extract(sig="<p>某县人民政府办公室 2024年3月6日</p>")
    assert r["date"] == "2024-03-06"
    assert r["issuer"] == "某县人民政府办公室"


def test_joint_signature_gives_co_issuers():
    r = extract(sig="<p>某县应急管理局&ensp;某县林业局</p><p>某县公安局</p><p>2024年3月6日</p>")
    assert r["issuer"] == "某县应急管理局"
    assert r["co_issuers"] == ["某县林业局", "某县公安局"]


def test_attachment_text_after_signature_stays_in_body():
    sig = (
        SIG + "<p>附件</p><p>森林防火巡查制度</p>"
        "<p>第一条 为规范森林防火巡查工作，明确巡查责任，制定本制度。</p>"
        "<p>第二条 本制度自印发之日起施行，各单位应当遵照执行。</p>"
    )
    r = extract(sig=sig)
    assert r["body"].endswith("各单位应当遵照执行。")
    assert r["date"] == "2024-03-06"


def test_date_in_table_row_is_not_a_signature():
    sig = (
        "<table><tr><td>巡查时段</td><td>2024年3月10日</td></tr></table>"
        "<p>二、落实值班值守，严格执行24小时值班和领导带班制度，确保信息畅通。</p>" + SIG
    )
    r = extract(sig=sig)
    assert "严格执行24小时值班" in r["body"]


def test_metadata_table_title_when_page_prints_no_title():
    html = page(
        "<table><tr><td>标&nbsp;&nbsp;题：</td><td>某市人民政府关于调整最低工资标准的通知</td></tr>"
        "<tr><td>发文字号：</td><td>某府〔2024〕3号</td><td>发布日期：</td><td>2024-05-06</td></tr></table>"
        "<div class='TRS_Editor'><p>各区人民政府，市政府各部门：</p>"
        "<p>经市人民政府同意，现将调整本市最低工资标准的有关事项通知如下，请认真贯彻执行。</p>"
        "<p>某市人民政府</p><p>2024年5月1日</p></div>",
        title="某市人民政府门户网站",
    )
    r = extract_html(html)
    assert r["title"] == "某市人民政府关于调整最低工资标准的通知"
    assert r["doc_number"] == "某府〔2024〕3号"
    assert r["published"] == "2024-05-06"
    assert r["date"] == "2024-05-01"


def test_traditional_page_matched_on_simplified_rules():
    html = page(
        "<h1>關於加強(qiáng)安全生產工作的通知</h1><div>發布時間：2019-03-02</div>"
        "<div><p>各區人民政府，市政府各部門：</p>"
        "<p>為加強安全生產工作，切實保障人民群眾生命財產安全，現將有關事項通知如下。</p>"
        "<p>廣州市人民政府辦公廳</p><p>2019年3月1日</p></div>",
        title="關於加強安全生產工作的通知",
    )
    r = extract_html(html)
    assert r["title"] == "關於加強安全生產工作的通知"
    assert r["published"] == "2019-03-02"
    assert r["issuer"] == "廣州市人民政府辦公廳"
    assert r["is_notice"] is True


def test_news_and_lists_are_not_notices():
    news = page(
        "<h1>我县召开春季森林防火工作会议</h1><div>来源：县融媒体中心</div>"
        "<div class='TRS_Editor'><p>3月6日，我县召开春季森林防火工作会议，部署当前重点工作。</p>"
        "<p>会议要求，各乡镇要压实责任，加强巡查，确保森林资源安全。</p></div>",
        title="我县召开春季森林防火工作会议_某县",
    )
    assert extract_html(news)["is_notice"] is False
    listing = page(
        "<h2>通知公告</h2><ul>"
        + "".join(
            f"<li><a href='/t{i}.html'>关于第{i}批项目的通知</a><span>2024-01-0{i}</span></li>"
            for i in range(1, 8)
        )
        + "</ul>",
        title="通知公告_某县人民政府",
    )
    assert extract_html(listing)["is_notice"] is False


def test_placeholder_is_not_a_notice():
    html = page("<h1>标题和内容已经清空</h1><p>标题和内容已经清空</p>", title="标题和内容已经清空")
    assert extract_html(html)["is_notice"] is False


def test_url_makes_attachments_absolute_and_sets_site():
    html = page(
        NOTICE.format(info="", sig=SIG + "<p><a href='./P0202403.pdf'>附件：巡查表.pdf</a></p>"),
        title="关于做好2024年春季森林防火工作的通知",
    )
    r = extract_html(html, url="https://www.example.gov.cn/tzgg/202403/t20240307_1.html")
    assert r["site"] == "www.example.gov.cn"
    assert r["attachments"] == [
        {"title": "附件：巡查表.pdf", "url": "https://www.example.gov.cn/tzgg/202403/P0202403.pdf"}
    ]


def test_old_table_layout_gbk_page_with_unknown_labels():
    html = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>某市人民政府办公厅关于进一步加强城市道路管理的通知</title></head><body>
<table><tr><td valign="top"><ul><li><a href="/col/1.html">机构概况</a></li>
<li><a href="/col/2.html">政策文件</a></li></ul></td><td valign="top">
<table><tr><td>索引号：</td><td>000000000/2019-00123</td><td>公开方式：</td><td>主动公开</td></tr>
<tr><td>发布机构：</td><td>市政府办公厅</td><td>生成日期：</td><td>2019-05-10</td></tr>
<tr><td>文号：</td><td>某政办函〔2019〕45号</td><td>有效性：</td><td>有效</td></tr></table>
<table><tr><td class="title"><b>某市人民政府办公厅关于进一步加强城市道路管理的通知</b></td></tr>
<tr><td id="zoom"><p>某政办函〔2019〕45号 2019年5月8日</p>
<p>各区人民政府，市政府各部门：</p>
<p>为进一步加强城市道路管理，提升城市道路通行效率，经市政府同意，现就有关事项通知如下：</p>
<p>一、严格占道审批。各地各部门要严格控制临时占用城市道路，确需占用的，应依法办理审批手续。</p>
<p>某市人民政府办公厅<br>2019年5月8日</p></td></tr></table>
<div><a href="javascript:window.print()">【打印本页】</a> <a href="#">【关闭窗口】</a></div>
</td></tr></table><div>主办：某市人民政府办公厅 ICP备12345678号</div></body></html>"""
    r = extract_html(html.encode("gbk"))
    assert r["title"] == "某市人民政府办公厅关于进一步加强城市道路管理的通知"
    assert r["doc_number"] == "某政办函〔2019〕45号"
    assert r["index_number"] == "000000000/2019-00123"
    assert r["issuer"] == "某市人民政府办公厅"
    assert r["date"] == "2019-05-08"
    assert r["body"].startswith("各区人民政府，市政府各部门：")
    assert r["body"].endswith("应依法办理审批手续。")
    assert r["is_notice"] is True


def test_repost_heading_wraps_the_title_and_byline_is_not_body():
    html = page(
        "<h1>重磅！某省人民政府办公厅关于加快发展银发经济的意见</h1>"
        "<div class='info'><span>2024-01-16 08:12</span> <span>来源: 某某观察</span> <span>阅读 (3452)</span></div>"
        "<article class='article'><p>某省人民政府办公厅关于加快发展银发经济的意见</p>"
        "<p>某政办发〔2024〕1号</p><p>各市人民政府，省政府各部门：</p>"
        "<p>为加快发展银发经济，增进老年人福祉，经省政府同意，现提出如下意见。</p>"
        "<p>各地区各部门要加强组织领导，结合实际抓好贯彻落实。</p>"
        "<p>某省人民政府办公厅</p><p>2024年1月11日</p>"
        "<p>声明：该文观点仅代表作者本人，本平台仅提供信息存储空间服务。</p>"
        "<p><a href='/'>返回首页，查看更多</a></p></article>",
        title="重磅！某省人民政府办公厅关于加快发展银发经济的意见_某网",
    )
    r = extract_html(html)
    assert r["title"] == "某省人民政府办公厅关于加快发展银发经济的意见"
    assert r["doc_number"] == "某政办发〔2024〕1号"
    assert r["published"] == "2024-01-16"
    assert r["date"] == "2024-01-11"
    assert r["body"].startswith("各市人民政府，省政府各部门：")
    assert r["body"].endswith("结合实际抓好贯彻落实。")


def test_published_is_the_date_nearest_the_title_not_a_sidebar_date():
    html = page(
        "<div class='side'><h3>热点</h3><p>日期：2020-01-01</p><p>日期：2020-02-02</p></div>"
        + NOTICE.format(info="发布时间：2024-03-07", sig=SIG),
        title="关于做好2024年春季森林防火工作的通知",
    )
    assert extract_html(html)["published"] == "2024-03-07"


def test_reposting_tag_in_front_of_the_title_is_dropped():
    html = page(
        NOTICE.format(info="", sig=SIG).replace("<h1>", "<h1>【转载】"),
        title="【转载】关于做好2024年春季森林防火工作的通知_某网",
    )
    assert extract_html(html)["title"] == "关于做好2024年春季森林防火工作的通知"


ATTACHED = (
    "<p>某县人民政府办公室</p><p>2024年3月6日</p><p>（此件公开发布）</p>"
    "<p>某县春季森林防火工作方案</p>"
    "<p>一、工作目标。全面落实森林防火责任制，坚决防止发生重大森林火灾。</p>"
    "<p>二、工作措施。各乡镇要加强巡山护林，严格火源管理。</p>"
)


def test_note_under_the_date_does_not_hide_the_attached_text():
    """GB/T 9704 prints the 附注 （此件公开发布） under the date, before the attachment."""
    r = extract(sig=ATTACHED)
    assert r["body"].endswith("严格火源管理。")
    assert "某县春季森林防火工作方案" in r["body"]
    assert r["date"] == "2024-03-06" and r["issuer"] == "某县人民政府办公室"


def test_metadata_table_without_colons():
    """Label cells without a colon (``<th>文号</th><td>…</td><th>主题分类</th>…``)."""
    info = (
        "<table><tr><th>索引号</th><td>002482410/2024-00071</td>"
        "<th>发布机构</th><td>某县应急管理局</td></tr>"
        "<tr><th>文号</th><td>某应急〔2024〕7号</td><th>主题分类</th><td>安全生产</td></tr>"
        "<tr><th>成文日期</th><td>2024-03-05</td><th>发布日期</th><td>2024-03-07</td></tr>"
        "</table>"
    )
    r = extract(info=info, sig="")
    assert r["doc_number"] == "某应急〔2024〕7号"
    assert r["issuer"] == "某县应急管理局"
    assert (r["date"], r["published"]) == ("2024-03-05", "2024-03-07")
    assert r["index_number"] == "002482410/2024-00071"


def test_metadata_labels_in_lenticular_brackets():
    info = (
        "<ul><li>【发文机构】某县应急管理局</li><li>【发文字号】某应急〔2024〕7号</li>"
        "<li>【成文日期】2024.03.05</li><li>【发布日期】2024.03.07</li></ul>"
    )
    r = extract(info=info, sig="")
    assert r["doc_number"] == "某应急〔2024〕7号"
    assert r["issuer"] == "某县应急管理局"
    assert (r["date"], r["published"]) == ("2024-03-05", "2024-03-07")


REPOST = """
<div class="nav"><a href="/">首页</a> <a href="/news/">新闻</a></div>
<h1>事关春季安全！县政府办公室最新通知</h1>
<div class="info">{info}</div>
<div class="article">
<p>原标题：某县人民政府办公室关于做好2024年春季森林防火工作的通知</p>
<p>春季将至，为切实做好森林防火工作，近日县政府办公室印发通知作出部署，一起来看↓↓↓</p>
{title}
<p>某府办函〔2024〕12号</p>
<p>各乡镇人民政府，县直各单位：</p>
<p>当前正值春季森林防火关键期，为切实做好森林防火工作，现将有关事项通知如下。</p>
<p>一、加强巡查管控，严格野外用火管理，确保不发生重大森林火灾。</p>
<p>某县人民政府办公室</p><p>2024年3月6日</p>
<p>来源：某县人民政府网站</p>
</div>
<div class="footer">声明：该文观点仅代表作者本人。</div>
"""


def test_repost_with_its_own_headline_and_lead():
    """A repost heads the notice with words of its own and a lead: the title-shaped
    line over the 文号 is the document's title, and its text starts there."""
    title = "<p>某县人民政府办公室关于做好2024年春季森林防火工作的通知</p>"
    html = page(REPOST.format(info="2024-03-08 10:32 发布于：某省", title=title))
    r = extract_html(html)
    assert r["title"] == "某县人民政府办公室关于做好2024年春季森林防火工作的通知"
    assert r["doc_number"] == "某府办函〔2024〕12号"
    assert r["body"].startswith("各乡镇人民政府，县直各单位：")
    assert "一起来看" not in r["body"] and "原标题" not in r["body"]
    assert r["published"] == "2024-03-08" and r["date"] == "2024-03-06"


def test_repost_with_a_joint_title_over_two_lines():
    title = "<p>某县应急管理局 某县林业局</p><p>关于做好2024年春季森林防火工作的通知</p>"
    info = "某县发布 某县融媒 2024-03-08 18:03 发表于某省"
    r = extract_html(page(REPOST.format(info=info, title=title)))
    assert r["title"] == "某县应急管理局某县林业局关于做好2024年春季森林防火工作的通知"
    assert r["doc_number"] == "某府办函〔2024〕12号"
    assert r["published"] == "2024-03-08"  # a timestamp inside the info line


def test_order_signed_by_post_and_name():
    """A 令: its number over two lines, signed 部长 + name, the 规定 attached."""
    body = """
<h1>某某管理规定</h1>
<div class="zoom">
<p>中华人民共和国某某部令</p><p>2024年第5号</p>
<p>《某某管理规定》已于2024年4月26日经第10次部务会议通过，现予公布，自2024年7月1日起施行。</p>
<p>部长　张某某</p><p>二〇二四年五月十日</p>
<p>某某管理规定</p>
<p>第一条　为了规范某某管理工作，保障人民群众生命财产安全，制定本规定。</p>
<p>第二条　本规定自2024年7月1日起施行。</p>
</div>
<div class="rel"><h3>相关解读</h3><ul><li><a href="/j/1">《某某管理规定》政策解读</a></li></ul></div>
"""
    r = extract_html(page(body))
    assert r["doc_number"] == "某某部令2024年第5号"
    assert r["date"] == "2024-05-10"
    assert r["body"].startswith("《某某管理规定》已于")
    assert r["body"].endswith("本规定自2024年7月1日起施行。")
    assert "部令" not in r["body"].split("\n")[0]


def test_announcement_numbered_by_year_and_interpretation_heading():
    body = """
<div class="TRS_Editor">
<h1>某某总局关于调整某某事项的公告</h1>
<p>某某总局公告2023年第12号</p>
<p>为进一步优化某某服务，现就有关事项公告如下：</p>
<p>一、自2024年1月1日起，某某事项实行网上办理。本公告自发布之日起施行。</p>
<p>特此公告。</p>
<p>某某总局</p><p>2023年12月20日</p>
<p>附件：</p><p><a href="/f/1.pdf">办理指南.pdf</a></p>
<p>相关解读</p><p><a href="/j/2">《关于调整某某事项的公告》解读</a></p>
</div>
"""
    r = extract_html(page(body))
    assert r["doc_number"] == "某某总局公告2023年第12号"
    assert r["body"].endswith("特此公告。")
    assert r["issuer"] == "某某总局" and r["date"] == "2023-12-20"


def test_news_headline_over_a_reposted_announcement():
    """A news site's headline without a genre, a lead, then a 通告 with neither 文号
    nor 主送: the title-shaped line over its first paragraph is the title."""
    body = """
<h1>国庆假期出行注意！这些路段将实行交通管制</h1>
<div class="info">2023-09-26 16:42 来源：某市日报</div>
<div class="article">
<p>记者昨日从市公安局交警支队获悉，国庆假期期间部分路段将实行交通管制。通告全文如下：</p>
<p>某市公安局交通警察支队关于2023年国庆节期间部分路段实行交通管制的通告</p>
<p>为保障国庆节期间我市道路交通安全、有序、畅通，决定对部分路段实行交通管制。现将有关事项通告如下：</p>
<p>一、管制时间为2023年9月29日至10月6日，每日9时至21时。</p>
<p>特此通告。</p>
<p>某市公安局交通警察支队</p><p>2023年9月25日</p>
</div>
"""
    r = extract_html(page(body, title="国庆假期出行注意！这些路段将实行交通管制_某市新闻网"))
    assert r["title"] == "某市公安局交通警察支队关于2023年国庆节期间部分路段实行交通管制的通告"
    assert r["is_notice"] is True
    assert r["body"].startswith("为保障国庆节期间") and "记者" not in r["body"]
    assert r["published"] == "2023-09-26" and r["date"] == "2023-09-25"


def test_pages_about_a_document_are_not_notices():
    from gazette.text.classify import is_notice

    body = "为进一步促进消费，市政府出台若干措施。" * 5
    marks = dict(has_signature=False, has_metadata=True, has_headnote=False, recipients=False)
    assert not is_notice("一图读懂《某市促进消费若干措施》", body, doc_number=None, **marks)
    assert is_notice("某市人民政府关于印发《某市促进消费若干措施》", body, doc_number=None, **marks)
    award = "某某项目中标结果公告"
    signed = dict(marks, has_signature=True)
    assert not is_notice(award, body, doc_number=None, **signed)
    law = dict(marks, has_metadata=False, has_headnote=True)
    assert not is_notice("某省电动自行车管理条例", body, doc_number=None, **law)
    assert is_notice("某省人民代表大会常务委员会关于某某的决定", body, doc_number=None, **law)


def test_label_after_text_and_unknown_label_first():
    info = "发布者：教务处 课程建设科发布时间：2023-03-17浏览次数：1,236"
    r = extract(info=info)
    assert r["published"] == "2023-03-17"


def test_headnote_of_several_amendments():
    from gazette.text.content import HEADNOTE

    note = (
        "（2003年6月27日第十届全国人民代表大会常务委员会第三次会议通过　根据2009年8月27日"
        "第十一届全国人民代表大会常务委员会第十次会议《关于修改部分法律的决定》第一次修正　"
        "根据2019年4月23日第十三届全国人民代表大会常务委员会第十次会议第二次修正）"
    )
    assert HEADNOTE.match(note)


# -- rules from the flattened repost texts (issue 12); each page is made up here --------


def flat(*paras: str, title: str = "example.com") -> bytes:
    """A repost laid out flat: one <p> a line, the site's domain as <title>."""
    return page("<div id='main'>" + "".join(f"<p>{p}</p>" for p in paras) + "</div>", title=title)


def test_traditional_title_is_a_notice_when_its_lead_in_ends_in_a_colon():
    # no sentence ends before the text is cut: a clause-long lead-in ending in a colon is prose
    r = extract_html(
        flat(
            "穗府〔2019〕7號",
            "關于進一步促進某產業發展的指導意見",
            "各區人民政府,市政府各部門、各直屬機構:",
            "為增強我市產業的吸引力,發揮龍頭企業在轉型升級中的帶動作用,全面提升城市的核心競爭力,現提出如下指導意見:",
            "一、總體要求",
        )
    )
    assert r["is_notice"] is True
    assert r["title"] == "關于進一步促進某產業發展的指導意見"
    assert r["doc_number"] == "穗府〔2019〕7号"


def test_a_domain_is_never_the_title():
    r = extract_html(flat("某某网站", "没有标题的页面。", title="someplace.com"))
    assert r["title"] != "someplace.com"


def test_headline_of_docno_and_wrapped_title_then_the_title_again():
    r = extract_html(
        flat(
            "京政办发〔2018〕3号《北京市人民政府办公厅关于印发〈某工作要点〉的通知》",
            "《北京市人民政府办公厅关于印发〈某工作要点〉的通知》",
            "京政办发〔2018〕3号",
            "各区人民政府,市政府各委、办、局:",
            "《某工作要点》已经市政府同意,现印发给你们,请结合实际认真贯彻落实。",
            "北京市人民政府办公厅",
            "2018年2月8日",
            "2018年是贯彻落实党的十九大精神的开局之年,做好政务公开工作意义重大。",
        )
    )
    assert r["title"] == "北京市人民政府办公厅关于印发〈某工作要点〉的通知"
    assert r["date"] == "2018-02-08"
    assert r["published"] is None  # the signature's date is not the page's
    # the text issued by the letter follows its signature and stays in the body
    assert r["body"].endswith("做好政务公开工作意义重大。")


def test_attached_text_with_a_title_broken_over_lines_stays_in_the_body():
    r = extract_html(
        flat(
            "某省人民政府办公厅关于某事项的通知",
            "某府办〔2022〕9号",
            "各市人民政府,省政府各部门:",
            "现将有关事项通知如下,请认真组织实施。",
            "某省人民政府办公厅",
            "2022年3月1日",
            "某省进一步支持民间",
            "投资发展的实施方案",
            "为进一步加大政策支持力度,激发民间投资活力,推动全省经济持续健康发展,结合我省实际,制定本方案。",
        )
    )
    assert r["body"].endswith("制定本方案。")


def test_joint_title_names_the_issuer_and_co_issuers():
    r = extract_html(
        flat(
            "某市发展和改革委员会 某市住房和城乡建设局 关于印发某工程实施方案的通知",
            "各区县政府,市级有关部门:",
            "经市领导同意,现将《某工程实施方案》印发给你们,请结合实际认真贯彻落实。",
        )
    )
    assert r["issuer"] == "某市发展和改革委员会"
    assert r["co_issuers"] == ["某市住房和城乡建设局"]


def test_table_cell_of_two_offices_splits_into_issuer_and_co_issuers():
    r = extract(info="<table><tr><td>发文机关：</td><td>国务院、中央军委</td></tr></table>", sig="")
    assert r["issuer"] == "国务院"
    assert r["co_issuers"] == ["中央军委"]


def test_title_recipients_and_text_run_into_one_paragraph():
    r = extract_html(
        flat(
            "廣東省人民政府關于支持某新區加快發展的若幹意見 各地級以上市人民政府,省政府各部門:"
            " 爲深入貫徹《某新區發展規劃》,加快建設國家戰略新區,打造合作新載體和重要平台,"
            "推動區域協調發展,現提出如下意見:"
        )
    )
    assert r["is_notice"] is True
    assert r["title"] == "廣東省人民政府關于支持某新區加快開發建設的若幹意見".replace(
        "加快開發建設", "加快發展"
    )
    assert r["issuer"] == "廣東省人民政府"
    assert r["body"].startswith("各地級以上市人民政府")


def test_widget_label_before_the_table_does_not_hide_the_docno():
    # ``字号：大 中 小`` reads as a 文号 label; the table's own 文号 row still wins
    r = extract_html(
        page(
            "<div class='info'>来源：某网 作者：编辑部 浏览量：1024 字号：大 中 小 视力保护色：</div>"
            "<table><tr><td>文号</td><td>某政办发〔2021〕37号</td><td>主题分类</td><td>其他</td></tr></table>"
            "<div class='c'><h1>某市人民政府办公厅关于某项工作的通知</h1>"
            "<p>各区人民政府，市政府直属各单位：</p>"
            "<p>为做好某项工作，经市政府同意，现将有关事项通知如下，请认真贯彻执行。</p>"
            "<p>某市人民政府办公厅</p><p>2021年6月3日</p></div>"
        )
    )
    assert r["doc_number"] == "某政办发〔2021〕37号"
    assert "浏览量" not in r["body"]


def test_headline_printed_twice_then_the_documents_own_title():
    r = extract_html(
        page(
            "<h1>某某办公厅关于加强某项保障工作的通知（全文）</h1>"
            "<h1>某某办公厅关于加强某项保障工作的通知（全文）</h1>"
            "<p>【某某网讯】据报道，某某办公厅日前印发《关于加强某项保障工作的通知》，全文如下：</p>"
            "<p>某某办公厅关于加强某项保障工作的通知</p><p>某办发〔2020〕5号</p>"
            "<p>各省、自治区、直辖市人民政府：</p>"
            "<p>为加强某项保障工作，经国务院同意，现就有关事项通知如下，请认真贯彻执行。</p>"
        )
    )
    assert r["title"] == "某某办公厅关于加强某项保障工作的通知"
    assert r["doc_number"] == "某办发〔2020〕5号"
    assert r["body"].startswith("各省、自治区、直辖市人民政府")


def test_flat_page_offices_over_a_date_past_the_prose_are_the_signature():
    r = extract_html(
        flat(
            "首页>新闻动态>通知公告",
            "某省发展和改革委员会等部门关于印发《某行动方案》的通知",
            "日期：2024-09-12 10:21 来源：",
            "各市州人民政府，省直有关部门：",
            "《某行动方案》已经省政府同意，现印发给你们，请结合实际认真组织实施。",
            "某省发展和改革委员会 某省商务厅",
            "某省财政厅 某省农业农村厅",
            "2024年9月10日",
            "扫一扫在手机打开当前页",
            "主办单位：某省发展和改革委员会 地址：某市某路1号",
        )
    )
    assert r["date"] == "2024-09-10"
    assert r["issuer"] == "某省发展和改革委员会"
    assert r["body"].endswith("请结合实际认真组织实施。")


def test_statistics_communique_with_its_offices_under_the_title_is_a_document():
    r = extract_html(
        page(
            "<div class='c'><h1>2023年某省国民经济和社会发展统计公报</h1>"
            "<p>某省统计局</p><p>国家统计局某调查总队</p><p>2024年3月1日</p>"
            "<p>2023年，面对复杂严峻的外部环境，全省经济运行总体平稳，主要指标好于预期。</p>"
            "<p>一、综合</p><p>初步核算，全年全省地区生产总值比上年增长5.2%，经济结构持续优化。</p></div>",
            title="2023年某省国民经济和社会发展统计公报",
        )
    )
    assert r["is_notice"] is True
    assert r["title"] == "2023年某省国民经济和社会发展统计公报"
    assert r["issuer"] == "某省统计局"
    assert r["co_issuers"] == ["国家统计局某调查总队"]
    assert r["date"] == "2024-03-01"
    assert r["body"].startswith("2023年，面对复杂严峻的外部环境")
    assert r["body"].endswith("经济结构持续优化。")


def test_validity_printed_in_the_metadata_table_is_kept():
    r = extract(info="<table><tr><td>有效性：</td><td>失效</td></tr></table>")
    assert r["validity"] == "失效"
    assert "validity" not in extract()


def test_decree_signed_by_a_name_spaced_out_by_full_width_spaces():
    r = extract_html(
        page(
            "<div class='c'><h1>某省人民政府令</h1><p>第258号</p>"
            "<p>《某省某某管理办法》已经2023年12月15日省人民政府第30次常务会议通过，现予公布，"
            "自2024年3月1日起施行。</p><p>省长\u3000赵\u3000刚</p><p>2023年12月22日</p></div>"
        )
    )
    assert r["date"] == "2023-12-22"


def test_issuing_office_banner_is_a_header_line():
    r = extract_html(
        page(
            "<h1>某市人民政府关于某某工作的意见</h1><div class='c'><p>某市人民政府文件</p>"
            "<p>某政发〔2021〕17号</p><p>某市人民政府关于某某工作的意见</p>"
            "<p>各县（市、区）人民政府，市政府直属各单位：</p>"
            "<p>为推进某某工作，经市政府同意，现提出如下意见，请认真贯彻执行。</p></div>"
        )
    )
    assert r["doc_number"] == "某政发〔2021〕17号"
    assert r["body"].startswith("各县（市、区）人民政府")


def test_page_markers_and_a_commentary_heading_end_the_body():
    r = extract(
        sig="<p>第 1 页 共 3 页</p><p>某县人民政府</p><p>2024年3月6日</p>"
        "<p>小编解读</p><p>这份通知释放了三个信号，值得企业关注，我们逐条为您解读如下。</p>"
    )
    assert "第 1 页" not in r["body"]
    assert "小编" not in r["body"] and "信号" not in r["body"]


def test_heading_again_far_below_over_the_docno_starts_the_document():
    """A forum's or portal's post header (author, counters, a lead-in) sits between the
    page heading and its copy over the 文号: the copy starts the document (GB/T 9704:
    title, then 文号 or 主送), so the header is not body and the 文号 is found."""
    header = "".join(
        f"<div>{x}</div>"
        for x in (
            "张三",
            "积分",
            "1862",
            "帖子",
            "413",
            "楼主",
            "发表于 2023-10-9 08:41 | 只看该作者",
        )
    )
    r = extract_html(
        page(
            "<h1>【转】某市人民政府关于调整某市某项标准的通知</h1>"
            + header
            + "<table><tr><td>转自市政府官网，大家看看<br>"
            "某市人民政府关于调整某市某项标准的通知<br>某政发〔2023〕21号<br>"
            "各县（市）、区人民政府，市政府各委、办、局：<br>"
            "经市人民政府研究，决定调整我市某项标准。现将有关事项通知如下：<br>"
            "一、本通知自2023年10月1日起执行。<br>某市人民政府<br>2023年9月18日</td></tr></table>"
            "<div>沙发 发表于 2023-10-9 09:12</div><div>终于涨了</div>"
        )
    )
    assert r["title"] == "某市人民政府关于调整某市某项标准的通知"
    assert r["doc_number"] == "某政发〔2023〕21号"
    assert r["body"].startswith("各县（市）、区人民政府")
    assert "积分" not in r["body"] and "楼主" not in r["body"]
    assert r["published"] == "2023-10-09" and r["date"] == "2023-09-18"
