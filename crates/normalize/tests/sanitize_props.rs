//! Property tests of the sanitizer on adversarial HTML built from fragments,
//! and of `canonical_url`.

use proptest::prelude::*;
use scraper::{Html, Node};
use tributary_normalize::sanitize::sanitize_html;
use tributary_normalize::url::{canonical_url, SAFE_SCHEMES};
use url::Url;

/// Pieces of hostile and ordinary markup; concatenated in any order they also
/// produce broken nesting, unclosed tags and attributes split across pieces.
const FRAGMENTS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js>",
    "<scr<script>ipt>alert(1)</script>",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"javascript:alert(1)\">",
    "<img srcset=\"javascript:alert(1) 1x, ok.png 2x\">",
    "<a href=\"javascript:alert(1)\">",
    "<a href=\"JaVaScRiPt:alert(1)\">",
    "<a href=\"jav&#x09;ascript:alert(1)\">",
    "<a href=\"&#106;avascript:alert(1)\">",
    "<a href=\"vbscript:msgbox(1)\">",
    "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">",
    "<a href=\"rel/link\" onmouseover=\"x()\">",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe src=\"https://evil.example/\">",
    "<iframe src=\"https://www.youtube.com/embed/x\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\">",
    "<object data=\"javascript:alert(1)\">",
    "<embed src=\"x.swf\">",
    "<form action=\"javascript:alert(1)\"><input onfocus=alert(1) autofocus>",
    "<button formaction=\"javascript:alert(1)\">b</button>",
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>t</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<style>@import 'javascript:alert(1)';</style>",
    "<div style=\"background:url(javascript:alert(1))\">",
    "<body onload=alert(1)>",
    "<video poster=\"javascript:alert(1)\" onerror=\"x()\"><source src=\"v.mp4\">",
    "<blockquote cite=\"javascript:alert(1)\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<svg><animate attributeName=\"href\" values=\"javascript:alert(1)\"/><set attributeName=xlink:href to=javascript:alert(1) />",
    "<svg><use xlink:href=\"data:image/svg+xml;base64,PHN2Zz4=\"/><circle style=\"fill:red;behavior:url(x)\" r=1 /></svg>",
    "<svg><foreignObject><img src=x onerror=alert(1)></foreignObject><title><img src=x onerror=alert(1)></title>",
    "<math href=\"javascript:alert(1)\"><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<span style=\"color:red;width:expression(alert(1))\">",
    "<span style=\"color: red; font-family: 'A B'\">s</span>",
    "<p style=\"-moz-binding:url(x.xml#x); color: blue\">",
    "<td background=\"javascript:alert(1)\" bgcolor=red>",
    "<span dynsrc=\"javascript:x\" lowsrc=\"javascript:x\" ping=\"javascript:x\" action=\"javascript:x\">",
    "<p>text</p>",
    "<b>bold",
    "</b>",
    "<table><tr><td>cell",
    "<ul><li>item",
    "<pre>code</pre>",
    "&lt;script&gt;",
    "\"",
    "'",
    ">",
    "<",
    " onclick=alert(1) ",
    "plain words ",
];

fn adversarial_html() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..12)
        .prop_map(|parts| parts.concat())
}

fn base() -> Url {
    Url::parse("https://example.com/blog/").unwrap()
}

/// Everything unsafe found in sanitized HTML, read back with an HTML parser.
fn violations(sanitized: &str) -> Vec<String> {
    let mut found = Vec::new();
    if sanitized.to_ascii_lowercase().contains("<script") {
        found.push("raw <script".to_owned());
    }
    let doc = Html::parse_fragment(sanitized);
    for node in doc.tree.nodes() {
        let Node::Element(el) = node.value() else {
            continue;
        };
        let name = el.name();
        if matches!(
            name,
            "script" | "style" | "object" | "embed" | "form" | "input" | "button" | "foreignObject"
        ) {
            found.push(format!("element <{name}>"));
        }
        for (attr, value) in el.attrs() {
            if attr.to_ascii_lowercase().starts_with("on") {
                found.push(format!("handler {attr}"));
            }
            if matches!(attr, "srcdoc" | "formaction" | "id" | "class" | "name") {
                found.push(format!("attribute {attr}"));
            }
            if attr == "style" {
                let css = value.to_ascii_lowercase();
                for bad in [
                    "url(",
                    "expression",
                    "binding",
                    "behavior",
                    "position",
                    "\\",
                    "/*",
                ] {
                    if css.contains(bad) {
                        found.push(format!("style {value:?}"));
                    }
                }
            }
            if attr.eq_ignore_ascii_case("attributename")
                && value.to_ascii_lowercase().contains("href")
            {
                found.push(format!("animated {value:?}"));
            }
            // Every URL left must be absolute with a safe scheme: a relative
            // one would have been resolved, a dangerous one dropped.
            let urls: Vec<&str> = match attr {
                "href" | "src" | "poster" | "cite" | "xlink:href" | "action" | "background"
                | "dynsrc" | "lowsrc" | "ping" | "longdesc" | "data" => vec![value],
                "srcset" => value.split(", ").collect(),
                _ => vec![],
            };
            for url in urls {
                let scheme = url.split(':').next().unwrap_or_default();
                if !SAFE_SCHEMES.contains(&scheme) {
                    found.push(format!("unsafe URL {url:?} in {name}@{attr}"));
                }
            }
        }
        if name == "iframe" {
            let src = el.attr("src").unwrap_or_default();
            if !src.starts_with("https://www.youtube.com/") {
                found.push(format!("iframe {src:?}"));
            }
        }
    }
    found
}

/// Whether sanitized HTML is balanced: every end tag closes the innermost
/// open element and nothing is left open. Our serialization is regular (no
/// raw `<` or `>` in text or attribute values), so a scan over `<…>` reads
/// it exactly.
fn is_balanced(html: &str) -> Result<(), String> {
    const VOID: &[&str] = &[
        "area", "br", "col", "command", "hr", "img", "source", "track", "wbr",
    ];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        let Some(gt) = rest[lt..].find('>') else {
            return Err(format!("unterminated tag in {html:?}"));
        };
        let tag = &rest[lt + 1..lt + gt];
        rest = &rest[lt + gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> closes {other:?} in {html:?}")),
            }
        } else {
            let name = tag.split([' ', '/']).next().unwrap_or_default().to_owned();
            if !(VOID.contains(&name.as_str()) || tag.ends_with('/')) {
                stack.push(name);
            }
        }
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("left open {stack:?} in {html:?}"))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn sanitized_output_is_balanced(html in adversarial_html()) {
        let out = sanitize_html(&html, Some(&base()));
        prop_assert!(is_balanced(&out).is_ok(), "{:?}", is_balanced(&out));
    }

    #[test]
    fn arbitrary_text_gives_balanced_output(html in "[<>/a-z =\"'!-]{0,200}") {
        let out = sanitize_html(&html, Some(&base()));
        prop_assert!(is_balanced(&out).is_ok(), "{:?}", is_balanced(&out));
    }

    #[test]
    fn sanitized_output_is_safe(html in adversarial_html()) {
        for base in [Some(base()), None] {
            let out = sanitize_html(&html, base.as_ref());
            let bad = violations(&out);
            prop_assert!(bad.is_empty(), "{:?} in {:?} from {:?}", bad, out, html);
        }
    }

    #[test]
    fn sanitize_is_idempotent(html in adversarial_html()) {
        let once = sanitize_html(&html, Some(&base()));
        let twice = sanitize_html(&once, Some(&base()));
        prop_assert_eq!(&twice, &once, "input {:?}", html);
    }

    #[test]
    fn sanitize_never_panics(html in "\\PC{0,300}") {
        let out = sanitize_html(&html, Some(&base()));
        prop_assert!(violations(&out).is_empty());
    }

    #[test]
    fn canonical_url_is_idempotent(
        scheme in prop_oneof![Just("http"), Just("https"), Just("HTTP")],
        host in "[a-zA-Z]{1,8}(\\.[a-zA-Z]{1,5}){0,2}\\.?",
        port in proptest::option::of(prop_oneof![Just(80u16), Just(443), Just(8080)]),
        path in "(/[a-zA-Z0-9._~%-]{0,6}){0,4}",
        query in proptest::collection::vec(
            (prop_oneof![Just("utm_source"), Just("fbclid"), Just("id"), Just("ref"), Just("q"), Just("")],
             "[a-z0-9%+]{0,4}"),
            0..4,
        ),
        fragment in proptest::option::of("[!/a-z]{0,6}"),
    ) {
        let mut raw = format!("{scheme}://{host}");
        if let Some(port) = port {
            raw.push_str(&format!(":{port}"));
        }
        raw.push_str(&path);
        if !query.is_empty() {
            let pairs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            raw.push('?');
            raw.push_str(&pairs.join("&"));
        }
        if let Some(fragment) = fragment {
            raw.push('#');
            raw.push_str(&fragment);
        }
        if let Some(once) = canonical_url(&raw) {
            prop_assert!(once.starts_with("https://"));
            prop_assert!(!once.contains("utm_source") && !once.contains("fbclid"));
            prop_assert_eq!(canonical_url(&once), Some(once.clone()), "from {}", raw);
        }
    }

    #[test]
    fn canonical_url_never_panics(raw in "\\PC{0,80}") {
        if let Some(once) = canonical_url(&raw) {
            prop_assert_eq!(canonical_url(&once), Some(once.clone()));
        }
    }
}

#[test]
fn balance_checker_catches_imbalance() {
    for bad in ["<b>", "</b>", "<b><i></b></i>", "<p><b></p>"] {
        assert!(is_balanced(bad).is_err(), "{bad}");
    }
    assert!(is_balanced(r#"<p a="x">t<br><img src="y"><svg><circle /></svg></p>"#).is_ok());
    // Mis-nested, unclosed and stray tags all come out balanced.
    for html in [
        "<b><i>x</b>y</i>",
        "<p>a<p>b",
        "</div>x<div>",
        "<table><tr><td>1<td>2",
    ] {
        let out = sanitize_html(html, Some(&base()));
        assert!(is_balanced(&out).is_ok(), "{html} -> {out}");
    }
}
