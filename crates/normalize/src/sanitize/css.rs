//! Cleaning of `style` attributes.
//!
//! The rules are feedparser's (its `sanitize_style`), re-implemented:
//!
//! 1. every `url(…)` is removed (no image, font or binding is ever fetched);
//! 2. the remaining text must pass a character gauntlet: letters, digits,
//!    white space, `: , ; # % . !`, a hyphen between word characters, quoted
//!    words (`'Times New Roman'`) and parenthesised lists of numbers
//!    (`rgb(0, 0, 0)`). Anything else (a backslash escape, `/*`, `(` after a
//!    word as in `expression(`, `<`, `@`, `&` …) empties the whole attribute;
//! 3. it must be a plain list of `property: value` declarations;
//! 4. a declaration is kept when its property is on [`CSS_PROPERTIES`]
//!    (any value that passed the gauntlet), or is a `background*`, `border*`,
//!    `margin*` or `padding*` property whose every word is on
//!    [`CSS_KEYWORDS`] or a colour/length; inside SVG also the properties of
//!    [`SVG_CSS_PROPERTIES`].
//!
//! So `position`, `z-index`, `behavior`, `-moz-binding`, `content` and the
//! like never pass, and neither does anything that can fetch or run code.
//! Kept declarations are written `property: value;`, separated by a space;
//! the output passes through the function unchanged.

use std::sync::LazyLock;

use regex::Regex;

use super::policy::{CSS_KEYWORDS, CSS_PROPERTIES, SVG_CSS_PROPERTIES};

static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"url\s*\(\s*[^\s)]+?\s*\)\s*").expect("valid regex"));
static GAUNTLET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^(?:[:,;#%.\sa-zA-Z0-9!]|\w-\w|'[\s\w]+'|"[\s\w]+"|\([\d,\s]+\))*$"#)
        .expect("valid regex")
});
static DECLARATIONS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*[-\w]+\s*:\s*[^:;]*;?").expect("valid regex"));
static DECLARATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([-\w]+)\s*:\s*([^:;]*)").expect("valid regex"));
static VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:#[0-9a-f]+|rgb\(\d+%?,\d*%?,?\d*%?\)?|\d{0,2}\.?\d{0,2}(?:cm|em|ex|in|mm|pc|pt|px|%|,|\))?)$",
    )
    .expect("valid regex")
});

/// The allowed declarations of a `style` value, `None` when none is left.
pub(crate) fn clean_style(style: &str, in_svg: bool) -> Option<String> {
    let without_urls;
    let style = if style.contains('(') {
        without_urls = URL.replace_all(style, " ");
        without_urls.as_ref()
    } else {
        style
    };
    if !GAUNTLET.is_match(style) {
        return None;
    }
    if !DECLARATIONS.replace_all(style, "").trim().is_empty() {
        return None;
    }
    let mut out = String::with_capacity(style.len());
    for caps in DECLARATION.captures_iter(style) {
        let (property, value) = (&caps[1], &caps[2]);
        if value.is_empty() {
            continue;
        }
        let lower = property.to_ascii_lowercase();
        let keep = CSS_PROPERTIES.binary_search(&lower.as_str()).is_ok()
            || (matches!(
                lower.split('-').next(),
                Some("background" | "border" | "margin" | "padding")
            ) && value
                .split_whitespace()
                .all(|word| CSS_KEYWORDS.binary_search(&word).is_ok() || VALUE.is_match(word)))
            || (in_svg && SVG_CSS_PROPERTIES.binary_search(&lower.as_str()).is_ok());
        if keep {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(property);
            out.push_str(": ");
            out.push_str(value);
            out.push(';');
        }
    }
    Some(out).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn style_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("color: red", Some("color: red;")),
            (
                "color:#000080;font-weight:bold",
                Some("color: #000080; font-weight: bold;"),
            ),
            (
                "border: 1px solid rgb(0, 0, 0)",
                Some("border: 1px solid rgb(0, 0, 0);"),
            ),
            ("border: medium none ;", Some("border: medium none ;")),
            ("margin: 0 auto", Some("margin: 0 auto;")),
            ("margin: 0 calc", None),
            (
                "background-color: #000; background-image: url(x.png)",
                Some("background-color: #000;"),
            ),
            (
                "font-family: 'Times New Roman'",
                Some("font-family: 'Times New Roman';"),
            ),
            ("position: absolute; color: red", Some("color: red;")),
            ("width: expression(alert(1))", None),
            ("background: url(javascript:alert(1))", None),
            ("background-image: url('javascript:alert(1)')", None),
            ("-moz-binding: url(http://e.com/x.xml#x)", None),
            ("behavior: url(x.htc)", None),
            ("color: red; behavior: x", Some("color: red;")),
            ("color: \\72 ed", None),
            ("color: red /* x */", None),
            ("xss: expr/**/ession(alert(1))", None),
            ("color: red; @import 'x'", None),
            ("fill: red", None),
            ("", None),
            (":", None),
        ];
        for (style, want) in cases {
            assert_eq!(clean_style(style, false).as_deref(), *want, "{style:?}");
        }
        assert_eq!(
            clean_style("fill: red", true).as_deref(),
            Some("fill: red;")
        );
    }

    #[test]
    fn cleaned_style_is_stable() {
        for style in [
            "color: red",
            "border: medium none ;",
            "font-family: 'Times New Roman'; color:#ccc",
            "display:block; width:100%",
        ] {
            let once = clean_style(style, false).unwrap();
            assert_eq!(clean_style(&once, false).as_deref(), Some(once.as_str()));
        }
    }
}
