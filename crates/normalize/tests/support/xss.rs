//! The XSS filter-evasion list and its structural checker, defined once
//! and shared: `crates/normalize/tests/xss.rs` runs every vector through the
//! sanitizer; `crates/web/tests/xss.rs` serves them in real feeds on
//! loopback, lets the server fetch them and checks every page and API that
//! shows them (it includes this file by path).
//!
//! [`violations`] reads sanitized HTML back with `scraper` (html5ever):
//! only allow-listed elements, no `on*`, `id`, `name` or `class` attribute,
//! `style` only without anything that fetches, binds or positions, every
//! URL-bearing attribute absent or `http(s)`/`mailto` after entity decoding
//! and removal of white space and control characters, no `<base>`,
//! `<meta>`, `<link>`, `<script>`, `<style>`, and frames only from
//! allow-listed players over https.
#![allow(dead_code)]

use scraper::{Html, Node};
use tributary_normalize::sanitize::{HTML_ELEMENTS, IFRAME_HOSTS, MATHML_ELEMENTS, SVG_ELEMENTS};
use url::Url;

pub fn base() -> Url {
    Url::parse("https://example.com/blog/").expect("static URL")
}

/// Attributes whose value the browser treats as a URL it may navigate to,
/// fetch or run.
pub const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "poster",
    "cite",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "background",
    "dynsrc",
    "lowsrc",
    "longdesc",
    "usemap",
    "datasrc",
    "altimg",
    "codebase",
    "manifest",
    "icon",
    "ping",
];

/// The URL as a browser reads it: white space and control characters are
/// ignored at the ends and removed inside (tabs and newlines are stripped by
/// the URL parser; others defeat naive filters), scheme case folded.
pub fn as_browser_reads(url: &str) -> String {
    url.chars()
        .filter(|c| !c.is_whitespace() && !c.is_control() && *c != '\u{feff}')
        .collect::<String>()
        .to_ascii_lowercase()
}

pub fn allowed_url(url: &str) -> bool {
    let url = as_browser_reads(url);
    url.starts_with("http://") || url.starts_with("https://") || url.starts_with("mailto:")
}

/// Elements that must never be written, whatever the allow-lists say.
pub const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script",
    "style",
    "base",
    "meta",
    "link",
    "object",
    "embed",
    "applet",
    "form",
    "input",
    "button",
    "select",
    "textarea",
    "frame",
    "frameset",
    "foreignObject",
    "template",
    "dialog",
];

/// A `style` value that cannot fetch, bind or run anything, nor escape the
/// content's box: no `url(`, `expression(`, escapes, comments, at-rules,
/// bindings or positioning.
pub fn safe_style(style: &str) -> bool {
    let lower = as_browser_reads(style);
    ![
        "url(",
        "expression",
        "\\",
        "/*",
        "@",
        "behavior",
        "binding",
        "javascript",
        "position",
        "z-index",
        "content",
        "import",
        "<",
        "&",
    ]
    .iter()
    .any(|bad| lower.contains(bad))
}

/// Everything unsafe in sanitized HTML, read back with an HTML parser.
pub fn violations(sanitized: &str) -> Vec<String> {
    let mut found = Vec::new();
    let lower = sanitized.to_ascii_lowercase();
    for raw in ["<script", "<style", "<base", "<meta", "<link"] {
        if lower.contains(raw) {
            found.push(format!("raw {raw:?} in the serialization"));
        }
    }
    let doc = Html::parse_fragment(sanitized);
    // The fragment parser's synthetic root (`<html>`) is not part of the
    // output: only its descendants are checked.
    for node in doc.root_element().descendants().skip(1) {
        let Node::Element(el) = node.value() else {
            continue;
        };
        let name = el.name();
        let allowed = name == "iframe"
            || HTML_ELEMENTS.contains(&name)
            || SVG_ELEMENTS.iter().any(|(_, svg)| *svg == name)
            || MATHML_ELEMENTS.contains(&name);
        if !allowed || FORBIDDEN_ELEMENTS.contains(&name) {
            found.push(format!("element <{name}> outside the allow-list"));
        }
        if name == "iframe" {
            let src = el.attr("src").unwrap_or_default();
            let host_ok = Url::parse(src).ok().is_some_and(|u| {
                u.scheme() == "https" && u.host_str().is_some_and(|h| IFRAME_HOSTS.contains(&h))
            });
            if !host_ok {
                found.push(format!("iframe with src {src:?}"));
            }
            if el.attr("srcdoc").is_some() {
                found.push("iframe srcdoc".into());
            }
        }
        for (attr, value) in el.attrs() {
            let attr = attr.to_ascii_lowercase();
            if attr.starts_with("on") {
                found.push(format!("event handler {attr} on <{name}>"));
            }
            if matches!(
                attr.as_str(),
                "srcdoc" | "formaction" | "id" | "name" | "class" | "xml:base"
            ) {
                found.push(format!("attribute {attr} on <{name}>"));
            }
            if attr == "style" && !safe_style(value) {
                found.push(format!("style {value:?} on <{name}>"));
            }
            if attr == "attributename" && as_browser_reads(value).contains("href") {
                found.push(format!("animation of {value:?} on <{name}>"));
            }
            if URL_ATTRIBUTES.contains(&attr.as_str()) && !allowed_url(value) {
                found.push(format!("URL {value:?} in {name}@{attr}"));
            }
            if attr == "srcset" {
                for candidate in value.split(',') {
                    let url = candidate.split_whitespace().next().unwrap_or_default();
                    if !allowed_url(url) {
                        found.push(format!("srcset candidate {url:?} in <{name}>"));
                    }
                }
            }
        }
    }
    found
}

/// (vector, markup or text that must remain in the output with a base URL;
/// "" when nothing in particular must remain).
pub const VECTORS: &[(&str, &str)] = &[
    // --- javascript: in every spelling ---
    (r#"<a href="javascript:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="JAVASCRIPT:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="JaVaScRiPt:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="  javascript:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="&#x20;javascript:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="&#1;javascript:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href=" &#14;  javascript:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="jav&#x09;ascript:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="jav&#x0A;ascript:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="jav&#x0D;ascript:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="jav&Tab;ascript:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="jav&NewLine;ascript:alert(1)">x</a>"#, ">x</a>"),
    ("<a href=\"jav\tascript:alert(1)\">x</a>", ">x</a>"),
    ("<a href=\"jav\nascript:alert(1)\">x</a>", ">x</a>"),
    ("<a href=\"java\0script:alert(1)\">x</a>", ">x</a>"),
    (r#"<a href="java&#0;script:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="&#x6A;avascript:alert(1)">x</a>"#, ">x</a>"),
    (
        r#"<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>"#,
        ">x</a>",
    ),
    (
        r#"<a href="&#106&#97&#118&#97&#115&#99&#114&#105&#112&#116&#58alert(1)">x</a>"#,
        ">x</a>",
    ),
    (
        r#"<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>"#,
        ">x</a>",
    ),
    (
        r#"<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)">x</a>"#,
        ">x</a>",
    ),
    (r#"<a href="javascript&#58;alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="javascript&#x09;:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="&#x0000006A;avascript:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="java&#x00AD;script:alert(1)">x</a>"#, ">x</a>"),
    // Percent-encoding does not apply to schemes: this is a relative path.
    (
        r#"<a href="%6A%61vascript:alert(1)">x</a>"#,
        r#"href="https://example.com/blog/%6A%61vascript:alert(1)""#,
    ),
    (
        r#"<video><track src="javascript:alert(1)"></video><audio><source src="javascript:alert(1)"></audio>"#,
        "<track>",
    ),
    (
        r#"<map name="m"><area href="javascript:alert(1)" shape="rect"></map><img src="x.png" usemap=m>"#,
        r#"<img src="https://example.com/blog/x.png""#,
    ),
    (
        r#"<a href="https://ok.example/"><img src="x" onerror="alert(1)"></a>"#,
        r#"<img src="https://example.com/blog/x">"#,
    ),
    (
        "<svg><foreignObject><img src=x onerror=alert(1)></foreignObject></svg>",
        "",
    ),

    (r#"<a href="javascript&colon;alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="javascript&#x3a;alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href='javascript:alert(1)'>x</a>"#, ">x</a>"),
    ("<a href=javascript:alert(1)>x</a>", ">x</a>"),
    ("<a href=`javascript:alert(1)`>x</a>", ">x</a>"),
    (r#"<a href="vbscript:msgbox(1)">x</a>"#, ">x</a>"),
    (r#"<a href="VBScript:msgbox(1)">x</a>"#, ">x</a>"),
    (r#"<a href="livescript:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="feed:javascript:alert(1)">x</a>"#, ">x</a>"),
    (r#"<a href="data:text/html,<script>alert(1)</script>">x</a>"#, ">x</a>"),
    (
        r#"<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>"#,
        ">x</a>",
    ),
    (r#"<a href="DaTa:text/html,x">x</a>"#, ">x</a>"),
    (r#"<IMG SRC="javascript:alert('XSS');">"#, "<img>"),
    (r#"<IMG SRC=JaVaScRiPt:alert('XSS')>"#, "<img>"),
    (r#"<IMG SRC="jav&#x09;ascript:alert('XSS');">"#, "<img>"),
    // Backticks do not quote in HTML: the value is a relative path.
    (
        "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
        "<img src=\"https://example.com/blog/%60javascript",
    ),
    (r#"<img src="data:image/svg+xml,<svg onload=alert(1)>">"#, "<img>"),
    (
        r#"<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">"#,
        "<img>",
    ),
    (r#"<IMG DYNSRC="javascript:alert('XSS')">"#, "<img>"),
    (r#"<IMG LOWSRC="javascript:alert('XSS')">"#, "<img>"),
    (
        r#"<img srcset="ok.png 1x, javascript:alert(1) 2x">"#,
        r#"srcset="https://example.com/blog/ok.png 1x""#,
    ),
    (
        r#"<picture><source srcset="javascript:alert(1)"><img src="ok.png"></picture>"#,
        r#"<img src="https://example.com/blog/ok.png">"#,
    ),
    (
        r#"<video poster="javascript:alert(1)" src="v.mp4"></video>"#,
        r#"src="https://example.com/blog/v.mp4""#,
    ),
    (
        r#"<blockquote cite="javascript:alert(1)">q</blockquote>"#,
        "<blockquote>q</blockquote>",
    ),
    // --- event handlers ---
    ("<img src=x onerror=alert(1)>", r#"<img src="https://example.com/blog/x">"#),
    (r#"<IMG SRC=# onmouseover="alert('xxs')">"#, "<img"),
    (r#"<IMG SRC= onmouseover="alert('xxs')">"#, "<img"),
    (r#"<IMG onmouseover="alert('xxs')">"#, "<img>"),
    ("<svg onload=alert(1)>", ""),
    ("<svg/onload=alert(1)>", ""),
    ("<body onload=alert(1)>body", "body"),
    ("<frameset onload=alert(1)>", ""),
    ("<x onclick=alert(1)>custom</x>", "custom"),
    (
        "<details open ontoggle=alert(1)><summary>s</summary>d</details>",
        "<details open=\"\"><summary>s</summary>d</details>",
    ),
    (
        "<video><source onerror=alert(1)></video>",
        "<video controls=\"controls\"><source></video>",
    ),
    ("<audio src=x onerror=alert(1)>", "<audio"),
    ("<marquee onstart=alert(1)>m</marquee>", "m"),
    ("<div onmouseover\n=\nalert(1)>d</div>", "<div>d</div>"),
    ("<div/onmouseover='alert(1)'>d</div>", "<div>d</div>"),
    (r#"<p ONCLICK="alert(1)">p</p>"#, "<p>p</p>"),
    (
        "<input autofocus onfocus=alert(1)><textarea autofocus onfocus=alert(1)>",
        "",
    ),
    ("<keygen autofocus onfocus=alert(1)>", ""),
    ("<select autofocus onfocus=alert(1)>", ""),
    (
        "<svg><animate onbegin=alert(1) attributeName=x dur=1s></svg>",
        "",
    ),
    (
        r#"<svg><set attributeName="onmouseover" to="alert(1)"/></svg>"#,
        "",
    ),
    // --- style ---
    (
        r#"<div style="width: expression(alert('XSS'));">d</div>"#,
        "<div>d</div>",
    ),
    (
        r#"<div style="background-image: url(javascript:alert('XSS'))">d</div>"#,
        "<div>d</div>",
    ),
    (r#"<IMG STYLE="xss:expr/*XSS*/ession(alert('XSS'))">"#, "<img>"),
    (
        r#"<STYLE>li {list-style-image: url("javascript:alert('XSS')");}</STYLE><UL><LI>XSS</br>"#,
        "<li>XSS",
    ),
    (
        "<STYLE>@import'http://evil.example/xss.css';</STYLE>after",
        "after",
    ),
    (r#"<XSS STYLE="behavior: url(xss.htc);">t</XSS>"#, "t"),
    (
        r#"<span style="-moz-binding:url('http://evil.example/xss.xml#xss')">s</span>"#,
        "<span>s</span>",
    ),
    // --- style, now kept after cleaning: only the harmless declarations ---
    (
        r#"<p style="color: red; position: fixed; top: 0; z-index: 9999">p</p>"#,
        r#"<p style="color: red;">p</p>"#,
    ),
    (
        r#"<p style="color: red; background: url(javascript:alert(1))">p</p>"#,
        "<p>p</p>",
    ),
    (
        r#"<p style="background: #fff url('javascript:alert(1)') no-repeat">p</p>"#,
        "<p>p</p>",
    ),
    (
        r#"<p style="color: expression(alert(1))">p</p>"#,
        "<p>p</p>",
    ),
    (
        r#"<p style="color: exp&#x72;ession(alert(1))">p</p>"#,
        "<p>p</p>",
    ),
    (
        r#"<p style="x: \65 xpression(alert(1))">p</p>"#,
        "<p>p</p>",
    ),
    (
        r#"<p style="color: red\;background:url(x)">p</p>"#,
        "<p>p</p>",
    ),
    (
        r#"<p style="behavior&#58; url(x.htc); color: red">p</p>"#,
        r#"<p style="color: red;">p</p>"#,
    ),
    (
        r#"<p style="-webkit-binding: x; -moz-binding: y; color: red">p</p>"#,
        "<p>p</p>",
    ),
    (
        r#"<p style="list-style: url(x.png); background-image: image-set('javascript:x' 1x)">p</p>"#,
        "<p>p</p>",
    ),
    (
        r#"<p style="content: 'x'; color: blue">p</p>"#,
        r#"<p style="color: blue;">p</p>"#,
    ),
    (
        r#"<p style="font-family: 'a</style><script>alert(1)</script>'">p</p>"#,
        "<p>p</p>",
    ),
    (
        r#"<p style="color:red;/**/background:url(javascript:alert(1))">p</p>"#,
        "<p>p</p>",
    ),
    (
        r#"<p style="@import 'https://evil.example/x.css'; color: red">p</p>"#,
        "<p>p</p>",
    ),
    (
        r#"<p style="margin: 0 expression(alert(1))">p</p>"#,
        "<p>p</p>",
    ),
    (
        r#"<p style="border: 1px solid javascript">p</p>"#,
        "<p>p</p>",
    ),
    (
        r#"<p style="width: 100%; height: 100%; display: block">p</p>"#,
        r#"<p style="width: 100%; height: 100%; display: block;">p</p>"#,
    ),
    (
        r#"<svg><circle style="fill: red; filter: url(#x); stroke: blue" r="1"/></svg>"#,
        "<circle",
    ),
    // --- navigation and document-level elements ---
    (r#"<BASE HREF="javascript:alert('XSS');//">after"#, "after"),
    (r#"<base href="https://evil.example/">after"#, "after"),
    (
        r#"<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert('XSS');">after"#,
        "after",
    ),
    (
        r#"<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">"#,
        "",
    ),
    (
        r#"<meta http-equiv="Set-Cookie" content="USERID=<SCRIPT>alert('XSS')</SCRIPT>">"#,
        "",
    ),
    (r#"<LINK REL="stylesheet" HREF="javascript:alert('XSS');">"#, ""),
    (r#"<link rel=import href="https://evil.example/x.html">"#, ""),
    // --- embedded documents and plugins ---
    (r#"<iframe src="javascript:alert(1)"></iframe>after"#, "after"),
    (r#"<iframe srcdoc="<script>alert(1)</script>"></iframe>after"#, "after"),
    (
        r#"<iframe src="https://www.youtube.com/embed/x" srcdoc="<script>alert(1)</script>" onload="alert(1)"></iframe>"#,
        r#"src="https://www.youtube.com/embed/x""#,
    ),
    (
        r#"<iframe src="http://www.youtube.com/embed/x"></iframe>"#,
        r#"src="https://www.youtube.com/embed/x""#,
    ),
    (r#"<iframe src="https://www.youtube.com@evil.example/"></iframe>a"#, "a"),
    (r#"<iframe src="https://evil.example/#www.youtube.com"></iframe>a"#, "a"),
    (r#"<iframe src="data:text/html,<script>alert(1)</script>"></iframe>a"#, "a"),
    (
        r#"<iframe src="javascript://www.youtube.com/%0aalert(1)"></iframe>a"#,
        "a",
    ),
    (r#"<FRAMESET><FRAME SRC="javascript:alert('XSS');"></FRAMESET>"#, ""),
    (r#"<object data="javascript:alert(1)"></object>after"#, "after"),
    (
        r#"<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>"#,
        "",
    ),
    (r#"<object type="text/x-scriptlet" data="https://evil.example/s.html"></object>"#, ""),
    (r#"<embed src="javascript:alert(1)">after"#, "after"),
    (
        r#"<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH" type="image/svg+xml" AllowScriptAccess="always"></EMBED>"#,
        "",
    ),
    (r#"<applet code="x.class">after</applet>"#, ""),
    (r#"<BGSOUND SRC="javascript:alert('XSS');">"#, ""),
    (r#"<TABLE BACKGROUND="javascript:alert('XSS')"><tr><TD>c</TD></tr></TABLE>"#, "<td>c</td>"),
    (r#"<TD BACKGROUND="javascript:alert('XSS')">"#, ""),
    // --- forms ---
    (
        r#"<form action="javascript:alert(1)"><input type=submit></form>after"#,
        "after",
    ),
    (
        r#"<form><button formaction="javascript:alert(1)">b</button></form>"#,
        "",
    ),
    (
        r#"<input type="image" src="javascript:alert(1)" formaction="javascript:alert(1)">"#,
        "",
    ),
    (r#"<isindex action="javascript:alert(1)" type="image">"#, ""),
    // --- SVG and MathML, now kept: only their allow-lists, URLs checked ---
    (
        r#"<svg><set attributeName="xlink:href" to="javascript:alert(1)"/><a><text>t</text></a></svg>"#,
        "<text>t</text>",
    ),
    (
        r#"<svg><a><animate attributeName="HREF" values="javascript:alert(1)"/><text>t</text></a></svg>"#,
        "<animate",
    ),
    (
        r#"<svg><a><animate attributeName=" xlink:href " from="javascript:alert(1)" to="x"/></a></svg>"#,
        "",
    ),
    (
        r#"<svg><animate attributeName="fill" from="red" to="blue" dur="1s"/></svg>"#,
        r#"attributeName="fill""#,
    ),
    (
        r#"<svg><animate attributeName="onload" to="alert(1)"/><animate attributeName="style" to="background:url(javascript:alert(1))"/></svg>"#,
        "",
    ),
    (
        r#"<svg><a xlink:href="&#106;avascript:alert(1)"><rect width="10" height="10"/></a></svg>"#,
        r#"<rect height="10" width="10" />"#,
    ),
    (
        r#"<svg><a xlink:href="https://ok.example/"><text>ok</text></a></svg>"#,
        r#"xlink:href="https://ok.example/""#,
    ),
    (
        r#"<svg><use xlink:href="data:image/svg+xml,<svg onload=alert(1)>"/></svg>"#,
        "<use",
    ),
    (
        r#"<svg><script xlink:href="data:,alert(1)" /><circle r="1"/></svg>"#,
        "<circle",
    ),
    (
        r#"<svg><style>*{background:url(javascript:alert(1))}</style><circle r="1"/></svg>"#,
        "<circle",
    ),
    (
        r#"<svg><title><img src=x onerror=alert(1)></title></svg>"#,
        "<title>",
    ),
    (
        r#"<svg><desc><![CDATA[</desc><img src=x onerror=alert(1)>]]></desc></svg>"#,
        "",
    ),
    (
        r#"<svg xmlns:xlink="javascript:alert(1)" xml:base="javascript:alert(1)//"><a xlink:href="x"><text>t</text></a></svg>"#,
        "",
    ),
    (
        r#"<svg><foreignObject><iframe srcdoc="<script>alert(1)</script>"></iframe><p onclick=x>t</p></foreignObject></svg>"#,
        "<p>t</p>",
    ),
    (
        r#"<svg><image href="javascript:alert(1)" /><feImage xlink:href="javascript:alert(1)"/></svg>"#,
        "",
    ),
    (
        r#"<svg onload=alert(1) onerror=alert(2)><g onclick=alert(3)><circle r=1 /></g></svg>"#,
        "<g><circle",
    ),
    (
        r#"<svg><a href="javascript:alert(1)"><text>svg2 href</text></a></svg>"#,
        "svg2 href",
    ),
    (
        r#"<math><mi xlink:href="data:x,<script>alert(4)</script>">x</mi></math>"#,
        "<mi>x</mi>",
    ),
    (
        r#"<math><a xlink:href="javascript:alert(1)">a</a><mtext href="vbscript:x">t</mtext></math>"#,
        "<mtext>t</mtext>",
    ),
    (
        r#"<math><mtext><table><mglyph><svg><mtext><style><path id="</style><img onerror=alert(1) src>">"#,
        "",
    ),
    (
        r#"<math><annotation-xml encoding="text/html"><img src=x onerror=alert(1)></annotation-xml></math>"#,
        "<annotation-xml",
    ),
    // --- newly allowed attributes: every URL checked, handlers never ---
    (
        r#"<table background="javascript:alert(1)"><tr><td background="data:image/svg+xml,x" bgcolor="red">c</td></tr></table>"#,
        r#"<td bgcolor="red">"#,
    ),
    (
        r#"<img dynsrc="javascript:alert(1)" lowsrc="javascript:alert(1)" longdesc="javascript:alert(1)" src="x.png">"#,
        r#"<img src="https://example.com/blog/x.png">"#,
    ),
    (
        r#"<a href="https://ok.example/" ping="javascript:alert(1)" target="_blank" rel="opener">ok</a>"#,
        r#"<a href="https://ok.example/" rel="noopener noreferrer" target="_blank">ok</a>"#,
    ),
    (
        r#"<span action="javascript:alert(1)" data="javascript:alert(1)" src="javascript:alert(1)" datasrc="javascript:x" icon="javascript:x">s</span>"#,
        "<span>s</span>",
    ),
    (
        r#"<img usemap="javascript:alert(1)" src="x.png"><q cite="javascript:alert(1)">q</q>"#,
        "<q>q</q>",
    ),
    (
        r#"<span id="location" name="cookie" class="admin-banner" style="color:red">s</span>"#,
        r#"<span style="color: red;">s</span>"#,
    ),
    (
        r#"<p xml:base="javascript:alert(1)//" xml:lang="en"><a href="x">x</a></p>"#,
        r#"href="https://example.com/blog/x""#,
    ),
    (
        r#"<noscript><p title="</noscript><img src=x onerror=alert(1)>"></p></noscript>"#,
        "&lt;/noscript&gt;",
    ),
    (
        r#"<video src="javascript:alert(1)" poster="data:image/png,x" autoplay onplay=alert(1)></video>"#,
        r#"<video controls="controls"></video>"#,
    ),
    (
        r#"<dialog open><p>over the page</p></dialog>"#,
        "<p>over the page</p>",
    ),
    (
        r#"<select><option>one</option></select><keygen><datalist><option>x</datalist>"#,
        "one",
    ),
    // --- SVG and MathML ---
    (
        r#"<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">click</text></a></svg>"#,
        "",
    ),
    (
        r#"<svg><a><animate attributeName="href" values="javascript:alert(1)"/><text>t</text></a></svg>"#,
        "",
    ),
    (
        r#"<svg><use href="data:image/svg+xml;base64,PHN2ZyBpZD0neCcgeG1sbnM9J2h0dHA6Ly93d3cudzMub3JnLzIwMDAvc3ZnJz48L3N2Zz4=#x"/></svg>"#,
        "",
    ),
    (
        r#"<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">m</maction></math>"#,
        "",
    ),
    (r#"<math href="javascript:alert(1)">m</math>"#, ""),
    (
        "<svg><style><img src=x onerror=alert(1)></style></svg>",
        "",
    ),
    (
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
        "",
    ),
    (
        "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
        "",
    ),
    // --- broken and nested tags ---
    ("<<script>alert(1);//<</script>", ""),
    ("<scr<script>ipt>alert(1)</scr</script>ipt>", ""),
    ("<script/xss src=\"https://evil.example/x.js\"></script>after", "after"),
    ("<SCRIPT/SRC=\"https://evil.example/x.js\"></SCRIPT>after", "after"),
    ("<SCRIPT a=\">\" SRC=\"https://evil.example/x.js\"></SCRIPT>after", "after"),
    ("<script>alert(1)", ""),
    ("<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\">", ""),
    ("<img src=\"x\" alt=\"<script>alert(1)</script>\">", "alt=\"&lt;script&gt;alert(1)&lt;/script&gt;\""),
    ("<a href=\"https://ok.example/\" title=\"\" onclick=\"alert(1)\">ok</a>", "href=\"https://ok.example/\""),
    ("<a href=\"https://ok.example/\"onclick=\"alert(1)\">ok</a>", "href=\"https://ok.example/\""),
    ("<a href=\"https://ok.example/ onclick=alert(1)>unclosed attribute", ""),
    ("<img src='x onerror=alert(1)//>unclosed", ""),
    ("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>", ""),
    ("<xmp><img src=x onerror=alert(1)></xmp>", ""),
    ("<noembed><img src=x onerror=alert(1)></noembed>", ""),
    ("<plaintext><img src=x onerror=alert(1)>", ""),
    ("<title><img src=x onerror=alert(1)></title>", ""),
    ("<textarea><img src=x onerror=alert(1)></textarea>", ""),
    ("<template><img src=x onerror=alert(1)></template>", ""),
    ("<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->after", "after"),
    ("<!-- --!><img src=x onerror=alert(1)> -->", ""),
    ("<!--><img src=x onerror=alert(1)>-->", ""),
    ("<![CDATA[<script>alert(1)</script>]]>", ""),
    ("<![CDATA[><img src=x onerror=alert(1)>]]>", ""),
    ("<?xml-stylesheet href=\"javascript:alert(1)\"?><p>x</p>", "<p>x</p>"),
    ("<a href=\"javascript:alert(1)\"><a href=\"https://ok.example/\">ok</a></a>", "href=\"https://ok.example/\""),
    ("<div><a href=\"javascript:alert(1)\"/></div>", ""),
    ("<IMG SRC=\"javascript:alert('XSS')\"", ""),
    ("<BR SIZE=\"&{alert('XSS')}\">", "<br"),
    ("<DIV STYLE=\"background-image:\\0075\\0072\\006C\\0028'\\006a\\0061\\0076\\0061\\0073\\0063\\0072\\0069\\0070\\0074\\003a\\0061\\006c\\0065\\0072\\0074\\0028.1027\\0058.1053\\0053\\0027\\0029'\\0029\">d</DIV>", "<div>d</div>"),
    ("<HEAD><META HTTP-EQUIV=\"CONTENT-TYPE\" CONTENT=\"text/html; charset=UTF-7\"></HEAD>+ADw-SCRIPT+AD4-alert('XSS');+ADw-/SCRIPT+AD4-", ""),
];

/// The scheme of `url` as a browser reads it (`None`: a relative URL).
fn scheme_of(url: &str) -> Option<String> {
    let url = as_browser_reads(url);
    let colon = url.find(':')?;
    let scheme = &url[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| scheme.to_owned())
}

/// Everything executable in a whole served page (the UI's, the river's,
/// a published file), read back with an HTML parser. Unlike [`violations`]
/// (for sanitized fragments) the page's own chrome is allowed: forms to
/// this site, ids and classes, the one same-origin script
/// (`/static/app.js?v=…`) and stylesheet (`/static/app.css?v=…`), the
/// `<style>` texts in `allowed_styles` and nothing else inline.
///
/// Refused: any other `<script>` (inline or not), any other `<style>`,
/// `on*` handlers, `srcdoc`/`formaction`, a URL-bearing attribute whose
/// scheme is not http(s)/mailto (`javascript:`, `data:`, `vbscript:` …, in
/// any spelling), a form posting elsewhere, `<base>`, `<object>`, `<embed>`,
/// `<applet>`, frames other than sandboxed players, `<meta>` refresh or
/// cookies, `<link>` other than the stylesheet, an empty icon and http(s)
/// feed links, unsafe `style` attributes, SVG animation of `href`.
pub fn page_violations(page: &str, allowed_styles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let doc = Html::parse_document(page);
    let mut scripts = 0;
    for node in doc.tree.root().descendants() {
        let Node::Element(el) = node.value() else {
            continue;
        };
        let name = el.name();
        let text: String = node
            .descendants()
            .filter_map(|n| n.value().as_text().map(|t| t.to_string()))
            .collect();
        match name {
            "script" => {
                scripts += 1;
                let src = el.attr("src").unwrap_or_default();
                if !src.starts_with("/static/app.js?v=") || !text.trim().is_empty() {
                    found.push(format!("<script src={src:?}>{text:?}"));
                }
            }
            "style" if !allowed_styles.contains(&text.as_str()) => {
                found.push(format!("<style>{text:?}"));
            }
            "link" => {
                let rel = el.attr("rel").unwrap_or_default();
                let href = el.attr("href").unwrap_or_default();
                let ok = match rel {
                    "stylesheet" => href.starts_with("/static/app.css?v="),
                    "icon" => href == "data:,",
                    "first" | "prev" | "next" | "hub" | "alternate" => {
                        matches!(scheme_of(href).as_deref(), Some("http" | "https") | None)
                    }
                    _ => false,
                };
                if !ok {
                    found.push(format!("<link rel={rel:?} href={href:?}>"));
                }
            }
            "meta" => {
                let equiv = el.attr("http-equiv").unwrap_or_default();
                if !equiv.is_empty() && !equiv.eq_ignore_ascii_case("content-security-policy") {
                    found.push(format!("<meta http-equiv={equiv:?}>"));
                }
            }
            "base" | "object" | "embed" | "applet" | "frame" | "frameset" | "isindex"
            | "template" | "foreignObject" => found.push(format!("element <{name}>")),
            "iframe" => {
                let src = el.attr("src").unwrap_or_default();
                let host_ok = Url::parse(src).ok().is_some_and(|u| {
                    u.scheme() == "https" && u.host_str().is_some_and(|h| IFRAME_HOSTS.contains(&h))
                });
                if !host_ok || el.attr("sandbox").is_none() {
                    found.push(format!("iframe {src:?} (sandbox {:?})", el.attr("sandbox")));
                }
            }
            "form" => {
                let action = el.attr("action").unwrap_or_default();
                if !action.starts_with('/') || action.starts_with("//") {
                    found.push(format!("form posting to {action:?}"));
                }
            }
            _ => {}
        }
        for (attr, value) in el.attrs() {
            let attr = attr.to_ascii_lowercase();
            if attr.starts_with("on") {
                found.push(format!("event handler {attr}={value:?} on <{name}>"));
            }
            if matches!(attr.as_str(), "srcdoc" | "formaction" | "xml:base") {
                found.push(format!("attribute {attr} on <{name}>"));
            }
            if attr == "style" && !safe_style(value) {
                found.push(format!("style {value:?} on <{name}>"));
            }
            if attr == "attributename" && as_browser_reads(value).contains("href") {
                found.push(format!("animation of {value:?} on <{name}>"));
            }
            let is_icon = name == "link" && value == "data:,";
            if URL_ATTRIBUTES.contains(&attr.as_str()) && !is_icon {
                if let Some(scheme) = scheme_of(value) {
                    if !matches!(scheme.as_str(), "http" | "https" | "mailto") {
                        found.push(format!("URL {value:?} in {name}@{attr}"));
                    }
                }
            }
            if attr == "srcset" {
                for candidate in value.split(',') {
                    let url = candidate.split_whitespace().next().unwrap_or_default();
                    if scheme_of(url).is_some_and(|s| s != "http" && s != "https") {
                        found.push(format!("srcset candidate {url:?} in <{name}>"));
                    }
                }
            }
        }
    }
    if scripts > 1 {
        found.push(format!("{scripts} scripts"));
    }
    found
}

/// `text` as a JSON string literal (the end-to-end tests write JSON Feeds
/// by hand, so that every control character of a vector goes in as is).
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `text` escaped for XML character data and attribute values.
pub fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Whether `text` can go into an XML 1.0 document (no C0 control but tab,
/// newline and carriage return).
pub fn xml_safe(text: &str) -> bool {
    text.chars()
        .all(|c| c >= ' ' || matches!(c, '\t' | '\n' | '\r'))
}

/// URLs a feed may give as an entry's link, a site link or an enclosure:
/// every one but the last two must be dropped or neutralised.
pub const HOSTILE_URLS: &[&str] = &[
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "jav\tascript:alert(1)",
    "java\u{0}script:alert(1)",
    "javascript&#58;alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "file:///etc/passwd",
    "\"><script>alert(1)</script>",
    "https://ok.example/\"onmouseover=\"alert(1)",
    "https://ok.example/a.mp3",
];

/// JSON Feeds the vectors are spread over by the web and CLI tests (vector
/// `i` goes to `i % FEEDS`), so each feed's page holds all of its entries.
pub const FEEDS: usize = 6;

/// The marker every JSON Feed entry's title starts with: `X<index>.`
pub fn marker(i: usize) -> String {
    format!("X{i}.")
}

/// JSON Feed `k`: its title and site link are hostile; its items are the
/// vectors `i` with `i % FEEDS == k`, each used as content, summary, title,
/// author and tag, with a hostile link and enclosure. Items get distinct
/// dates, newest last in the list order.
pub fn json_feed(k: usize) -> String {
    let mut items = Vec::new();
    for (i, (vector, _)) in VECTORS.iter().enumerate().filter(|(i, _)| i % FEEDS == k) {
        let evil_url = HOSTILE_URLS[i % HOSTILE_URLS.len()];
        items.push(format!(
            r#"{{"id": "x{i}", "url": {url}, "title": {title}, "content_html": {content},
               "summary": {content}, "authors": [{{"name": {content}, "url": {url}}}],
               "tags": [{content}, "Tag{i}"],
               "date_published": "2024-01-01T{h:02}:{m:02}:00Z",
               "attachments": [{{"url": {url}, "mime_type": "audio/mpeg"}},
                               {{"url": {content}, "mime_type": "video/mp4"}}]}}"#,
            url = json_string(evil_url),
            title = json_string(&format!("{} {vector}", marker(i))),
            content = json_string(vector),
            h = (i / 60) % 24,
            m = i % 60,
        ));
    }
    format!(
        r#"{{"version": "https://jsonfeed.org/version/1.1", "title": {title},
            "home_page_url": {home}, "authors": [{{"name": {title}}}],
            "items": [{items}]}}"#,
        title = json_string(&format!("F{k}. {}", VECTORS[k].0)),
        home = json_string(HOSTILE_URLS[k % HOSTILE_URLS.len()]),
        items = items.join(",\n")
    )
}

/// An Atom feed of every vector XML can carry, in `type="html"` titles,
/// summaries, content, author names and categories.
pub fn atom_feed() -> String {
    let mut entries = String::new();
    for (i, (vector, _)) in VECTORS.iter().enumerate().filter(|(_, (v, _))| xml_safe(v)) {
        let v = xml_text(vector);
        let url = xml_text(HOSTILE_URLS[i % HOSTILE_URLS.len()]);
        let title = xml_text(&format!("A{i}. {vector}"));
        entries.push_str(&format!(
            r#"<entry><id>urn:a{i}</id><title type="html">{title}</title>
<updated>2024-02-01T00:{m:02}:{s:02}Z</updated><link rel="alternate" href="{url}"/>
<link rel="enclosure" type="audio/mpeg" href="{url}"/>
<author><name>{v}</name><uri>{url}</uri></author><category term="{v}" label="{v}"/>
<summary type="html">{v}</summary><content type="html">{v}</content></entry>
"#,
            m = (i / 60) % 60,
            s = i % 60,
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title type="html">{}</title><id>urn:atom-xss</id><updated>2024-02-01T00:00:00Z</updated>
<link rel="alternate" href="javascript:alert(1)"/>
{entries}</feed>"#,
        xml_text("Atom. <img src=x onerror=alert(1)><script>alert(1)</script>")
    )
}
