//! Generated article pages for tests and the readability comparison.
//!
//! Real article pages cannot be fetched here (no network) and copying
//! someone's pages into the repository is not ours to do, so the pages are
//! generated: each is shaped like a page of one blog engine — WordPress,
//! Ghost, Hugo, Blogger — with the noise those pages carry around an
//! article (navigation, sidebars, share buttons, newsletter boxes, comments,
//! related posts, footers), and each knows its article paragraphs and its
//! noise strings, so a test can say exactly what was kept and what leaked.
//!
//! The text is deterministic (a small linear congruential generator over a
//! fixed vocabulary), so the same call gives the same pages everywhere.
//! Comments are written as long paragraphs on purpose: they are the noise a
//! readability algorithm is most tempted by.

/// One generated page with what it is known to contain.
#[derive(Debug, Clone)]
pub struct SamplePage {
    /// `wordpress-1`, `ghost-2`, … (also the last path segment it is served under).
    pub name: String,
    /// Which engine the page imitates (`wordpress`, `ghost`, `hugo`, `blogger`, `hard`).
    pub engine: &'static str,
    /// The article's title.
    pub title: String,
    /// The whole HTML document.
    pub html: String,
    /// The article's paragraphs, as plain text: each must be kept.
    pub paragraphs: Vec<String>,
    /// Text that is on the page but not in the article: none may be kept.
    pub noise: Vec<String>,
    /// For a page that readability is not expected to get right: the CSS
    /// selector of its article (what a site rule would say).
    pub content_selector: Option<&'static str>,
}

const WORDS: &[&str] = &[
    "router",
    "packet",
    "latency",
    "routing",
    "table",
    "prefix",
    "peering",
    "backbone",
    "switch",
    "fabric",
    "queue",
    "buffer",
    "congestion",
    "window",
    "handshake",
    "session",
    "tunnel",
    "overlay",
    "underlay",
    "spine",
    "leaf",
    "optics",
    "transceiver",
    "firmware",
    "telemetry",
    "counter",
    "interface",
    "neighbour",
    "adjacency",
    "convergence",
    "failover",
    "redundancy",
    "capacity",
    "throughput",
    "jitter",
    "multicast",
    "anycast",
    "resolver",
    "zone",
    "record",
    "lease",
    "address",
    "subnet",
    "gateway",
    "policy",
    "filter",
    "community",
    "path",
    "metric",
    "operator",
    "engineer",
    "outage",
    "maintenance",
    "change",
    "rollback",
    "design",
    "review",
    "incident",
    "vendor",
    "release",
    "upgrade",
    "bug",
    "workaround",
    "measurement",
    "probe",
];

const NOISE_WORDS: &[&str] = &[
    "great",
    "thanks",
    "agree",
    "article",
    "helpful",
    "question",
    "tried",
    "setup",
    "home",
    "lab",
    "worked",
    "months",
    "finally",
    "cheers",
    "wonder",
    "similar",
    "experience",
    "issue",
    "colleague",
    "recommend",
    "reading",
    "always",
    "years",
    "weekend",
    "coffee",
    "boss",
];

/// Deterministic pseudo-random numbers (a 64-bit LCG; quality is irrelevant).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }

    fn sentence(&mut self, words: &[&str], len: usize) -> String {
        let mut s = String::new();
        for i in 0..len {
            let w = words[self.next() % words.len()];
            if i == 0 {
                let mut c = w.chars();
                if let Some(f) = c.next() {
                    s.extend(f.to_uppercase());
                    s.push_str(c.as_str());
                }
            } else {
                s.push(' ');
                s.push_str(w);
            }
        }
        s.push('.');
        s
    }

    fn paragraph(&mut self, words: &[&str], sentences: usize) -> String {
        (0..sentences)
            .map(|_| {
                let len = 8 + self.next() % 10;
                self.sentence(words, len)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The noise every page carries, with markers that make each string unique.
struct Noise {
    nav: Vec<String>,
    sidebar: Vec<String>,
    share: Vec<String>,
    newsletter: String,
    comments: Vec<String>,
    related: Vec<String>,
    related_excerpts: Vec<String>,
    bio: String,
    footer: String,
}

impl Noise {
    fn new(rng: &mut Rng, tag: &str) -> Noise {
        Noise {
            nav: vec![
                format!("Home of {tag}"),
                "Archives by month".into(),
                "About this blog".into(),
                "Contact and privacy".into(),
            ],
            sidebar: vec![
                "Recent posts from the sidebar".into(),
                format!("Popular this week on {tag}"),
                "Tag cloud: bgp ospf evpn".into(),
                "Sponsored: buy our monitoring appliance".into(),
            ],
            share: vec![
                "Share on Mastodon".into(),
                "Share on LinkedIn".into(),
                "Copy link to clipboard".into(),
            ],
            newsletter: "Subscribe to the weekly newsletter and never miss a post".into(),
            comments: (0..4)
                .map(|i| format!("Comment {i} by reader: {}", rng.paragraph(NOISE_WORDS, 4)))
                .collect(),
            related: (0..3)
                .map(|i| format!("Related post {i}: {}", rng.sentence(WORDS, 6)))
                .collect(),
            related_excerpts: (0..3)
                .map(|i| format!("Excerpt of related post {i}: {}", rng.paragraph(WORDS, 2)))
                .collect(),
            bio: format!(
                "About the author: {} Follow on Mastodon for more.",
                rng.paragraph(NOISE_WORDS, 3)
            ),
            footer: format!("Copyright 2026 {tag}, all rights reserved"),
        }
    }

    fn all(&self) -> Vec<String> {
        let mut v = Vec::new();
        v.extend(self.nav.iter().cloned());
        v.extend(self.sidebar.iter().cloned());
        v.extend(self.share.iter().cloned());
        v.push(self.newsletter.clone());
        v.extend(self.comments.iter().cloned());
        v.extend(self.related.iter().cloned());
        v.extend(self.related_excerpts.iter().cloned());
        v.push(self.bio.clone());
        v.push(self.footer.clone());
        v
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn li_links(items: &[String], class: &str) -> String {
    items
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "<li class=\"{class}\"><a href=\"/{class}/{i}/\">{}</a></li>",
                esc(t)
            )
        })
        .collect()
}

fn paras(paragraphs: &[String]) -> String {
    paragraphs
        .iter()
        .enumerate()
        .map(|(i, p)| match i {
            1 => format!("<h2>Background</h2>\n<p>{}</p>\n", esc(p)),
            // A link and emphasis inside the text, as articles have.
            2 => format!(
                "<p>{} <a href=\"/notes/{i}/\">see the notes</a> and <em>mind the gap</em>.</p>\n",
                esc(p)
            ),
            3 => format!("<blockquote><p>{}</p></blockquote>\n", esc(p)),
            5 => {
                let items: String = p
                    .split_inclusive(". ")
                    .map(|s| format!("<li>{}</li>", esc(s.trim())))
                    .collect();
                format!("<ul>{items}</ul>\n")
            }
            6 => format!(
                "<figure><img src=\"/img/{i}.png\" alt=\"\"><figcaption>{}</figcaption></figure>\n",
                esc(p)
            ),
            8 => format!("<pre><code>{}</code></pre>\n", esc(p)),
            _ => format!("<p>{}</p>\n", esc(p)),
        })
        .collect()
}

/// Related posts as cards with a title and an excerpt paragraph.
fn related_cards(n: &Noise) -> String {
    n.related
        .iter()
        .zip(&n.related_excerpts)
        .enumerate()
        .map(|(i, (t, e))| {
            format!(
                "<div class=\"related-item\"><h4><a href=\"/related/{i}/\">{}</a></h4><p>{}</p></div>",
                esc(t),
                esc(e)
            )
        })
        .collect()
}

fn bio(n: &Noise) -> String {
    format!(
        "<div class=\"author-bio\"><img src=\"/avatar.png\" alt=\"\"><p>{}</p></div>",
        esc(&n.bio)
    )
}

fn wordpress(title: &str, body: &[String], n: &Noise) -> String {
    let comments: String = n
        .comments
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "<li class=\"comment\" id=\"comment-{i}\"><article class=\"comment-body\">\
                 <footer class=\"comment-meta\"><b class=\"fn\">reader{i}</b></footer>\
                 <div class=\"comment-content\"><p>{}</p></div>\
                 <div class=\"reply\"><a class=\"comment-reply-link\" href=\"#\">Reply</a></div></article></li>",
                esc(c)
            )
        })
        .collect();
    format!(
        r##"<!DOCTYPE html>
<html lang="en-US"><head><meta charset="UTF-8"><title>{t} &#8211; Packet Pushers Blog</title>
<meta name="generator" content="WordPress 6.4">
<link rel="stylesheet" href="/wp-content/themes/twentytwentyone/style.css">
<script>window.dataLayer = [];</script></head>
<body class="post-template-default single single-post">
<div id="page" class="site"><header id="masthead" class="site-header">
<p class="site-title"><a href="/">Packet Pushers Blog</a></p>
<nav id="site-navigation" class="primary-navigation"><ul class="menu">{nav}</ul></nav></header>
<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main" class="site-main">
<article id="post-42" class="post-42 post type-post status-publish hentry">
<header class="entry-header"><h1 class="entry-title">{t}</h1>
<div class="entry-meta"><span class="posted-on">Posted on <time>December 1, 2026</time></span></div></header>
<div class="entry-content">
{body}
<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3><ul>{share}</ul></div>
</div>
<footer class="entry-footer"><span class="cat-links">Posted in Networking</span>{bio}</footer>
</article>
<div class="jp-relatedposts"><h3 class="jp-relatedposts-headline">Related</h3>{related}</div>
<div id="comments" class="comments-area"><h2 class="comments-title">4 thoughts on &ldquo;{t}&rdquo;</h2>
<ol class="comment-list">{comments}</ol>
<div id="respond" class="comment-respond"><h3>Leave a Reply</h3><form action="/wp-comments-post.php" method="post"><textarea name="comment"></textarea><input type="submit" value="Post Comment"></form></div></div>
</main></div>
<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries"><ul>{sidebar}</ul></section>
<section class="widget widget_text"><div class="textwidget"><p>{newsletter}</p></div></section></aside></div>
<footer id="colophon" class="site-footer"><div class="site-info">{footer}</div></footer></div>
<script src="/wp-includes/js/wp-embed.min.js"></script></body></html>"##,
        t = esc(title),
        nav = li_links(&n.nav, "menu-item"),
        body = paras(body),
        share = li_links(&n.share, "share"),
        related = related_cards(n),
        bio = bio(n),
        comments = comments,
        sidebar = li_links(&n.sidebar, "widget"),
        newsletter = esc(&n.newsletter),
        footer = esc(&n.footer),
    )
}

fn ghost(title: &str, body: &[String], n: &Noise) -> String {
    let related: String = n
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                "<article class=\"post-card\"><a class=\"post-card-image-link\" href=\"/r{i}/\"></a>\
                 <div class=\"post-card-content\"><h2 class=\"post-card-title\">{}</h2>\
                 <div class=\"post-card-excerpt\"><p>{}</p></div></div></article>",
                esc(r),
                esc(&n.related_excerpts[i])
            )
        })
        .collect();
    let comments: String = n
        .comments
        .iter()
        .map(|c| format!("<div class=\"gh-comment\"><p>{}</p></div>", esc(c)))
        .collect();
    format!(
        r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{t}</title>
<meta name="generator" content="Ghost 5.75"><meta property="og:type" content="article">
<meta property="og:title" content="{t}"></head>
<body class="post-template"><div class="viewport">
<header id="gh-head" class="gh-head outer"><div class="gh-head-inner inner">
<a class="gh-head-logo" href="/">Network Notes</a>
<nav class="gh-head-menu"><ul class="nav">{nav}</ul></nav>
<div class="gh-head-actions"><a class="gh-head-button" href="#/portal/signup">Subscribe</a></div></div></header>
<div class="site-content"><main id="site-main" class="site-main">
<article class="article post">
<header class="article-header gh-canvas"><h1 class="article-title">{t}</h1>
<section class="article-meta"><span class="byline-meta-date">Dec 1, 2026</span></section></header>
<section class="gh-content gh-canvas">
{body}
</section>
<section class="article-share"><ul>{share}</ul></section>
{bio}
<section class="footer-cta outer"><div class="inner"><h2 class="footer-cta-title">{newsletter}</h2>
<a class="footer-cta-button" href="#/portal">Enter your email</a></div></section>
<section class="article-comments gh-canvas">{comments}</section>
</article></main>
<aside class="read-more-wrap outer"><div class="read-more inner">{related}</div></aside>
<aside class="sidebar"><ul>{sidebar}</ul></aside></div>
<footer class="site-footer outer"><div class="inner"><section class="copyright">{footer}</section>
<nav class="site-footer-nav"><a href="/rss/">RSS</a></nav></div></footer></div>
<script src="/assets/built/casper.js"></script></body></html>"##,
        t = esc(title),
        nav = li_links(&n.nav, "nav-item"),
        body = paras(body),
        share = li_links(&n.share, "share"),
        newsletter = esc(&n.newsletter),
        bio = bio(n),
        comments = comments,
        related = related,
        sidebar = li_links(&n.sidebar, "side"),
        footer = esc(&n.footer),
    )
}

fn hugo(title: &str, body: &[String], n: &Noise) -> String {
    let comments: String = n
        .comments
        .iter()
        .map(|c| format!("<div class=\"comment\"><p>{}</p></div>", esc(c)))
        .collect();
    format!(
        r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="Hugo 0.121.1">
<title>{t} | ipSpace notes</title></head>
<body><div class="container">
<header class="header"><nav class="nav"><a class="logo" href="/">ipSpace notes</a><ul class="nav-links">{nav}</ul></nav></header>
<div class="row"><div class="col-md-9">
<main class="main"><article class="post-single">
<header class="post-header"><h1 class="post-title">{t}</h1><div class="post-meta">December 1, 2026 · 4 min</div></header>
<div class="post-content">
{body}
</div>
<footer class="post-footer"><ul class="post-tags"><li><a href="/tags/bgp/">bgp</a></li></ul>
<div class="share-buttons">{share}</div>
<nav class="paginav"><a class="prev" href="/p/">« Prev</a><a class="next" href="/n/">Next »</a></nav></footer>
{bio}
<section class="related"><h4>See also</h4>{related}</section>
<div id="disqus_thread" class="comments">{comments}</div>
</article></main></div>
<div class="col-md-3"><aside class="sidebar"><h4>Sidebar</h4><ul>{sidebar}</ul>
<div class="newsletter">{newsletter}</div></aside></div></div>
<footer class="footer"><span>{footer}</span> · <span>Powered by Hugo</span></footer></div></body></html>"##,
        t = esc(title),
        nav = li_links(&n.nav, "nav-link"),
        body = paras(body),
        share = li_links(&n.share, "share"),
        bio = bio(n),
        related = related_cards(n),
        comments = comments,
        sidebar = li_links(&n.sidebar, "side"),
        newsletter = esc(&n.newsletter),
        footer = esc(&n.footer),
    )
}

fn blogger(title: &str, body: &[String], n: &Noise) -> String {
    // Blogger's post bodies are often <div>s and <br>s rather than <p>s.
    let body: String = body
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % 2 == 0 {
                format!("<div>{}</div><br />\n", esc(p))
            } else {
                format!("<p>{}</p>\n", esc(p))
            }
        })
        .collect();
    let comments: String = n
        .comments
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "<li class=\"comment\" id=\"c{i}\"><div class=\"comment-block\"><div class=\"comment-header\">\
                 <cite class=\"user\">Anonymous</cite></div><p class=\"comment-content\">{}</p></div></li>",
                esc(c)
            )
        })
        .collect();
    format!(
        r##"<!DOCTYPE html>
<html class="v2" dir="ltr" xmlns="http://www.w3.org/1999/xhtml"><head>
<meta content="blogger" name="generator"><title>Lab Journal: {t}</title></head>
<body class="loading"><div class="content"><div class="content-outer">
<header><div class="header-outer"><div class="Header widget"><h1 class="title"><a href="/">Lab Journal</a></h1></div>
<div class="PageList widget"><ul>{nav}</ul></div></div></header>
<div class="columns"><div class="main-outer"><div class="main-inner"><div class="column-center-inner">
<div class="main section" id="main"><div class="widget Blog" id="Blog1"><div class="blog-posts hfeed">
<div class="date-outer"><h2 class="date-header"><span>Monday, December 1, 2026</span></h2>
<div class="post-outer"><div class="post hentry" itemprop="blogPost">
<h3 class="post-title entry-title">{t}</h3>
<div class="post-header"></div>
<div class="post-body entry-content" id="post-body-7">
{body}
</div>
<div class="post-footer"><div class="post-share-buttons goog-inline-block">{share}</div>
<div class="post-footer-line">Labels: <a href="/search/label/bgp">bgp</a></div>{bio}</div></div>
<div class="comments" id="comments"><h4>4 comments:</h4><div class="comments-content"><ol>{comments}</ol></div></div>
</div></div></div>
<div class="blog-pager" id="blog-pager"><a class="blog-pager-newer-link" href="/n">Newer Post</a></div>
<div class="related-posts">{related}</div>
</div></div></div></div></div>
<div class="column-right-outer"><div class="sidebar section" id="sidebar-right-1">
<div class="widget PopularPosts"><ul>{sidebar}</ul></div>
<div class="widget Follow">{newsletter}</div></div></div></div>
<footer><div class="footer-outer"><div class="widget Attribution">{footer}. Powered by Blogger.</div></div></footer>
</div></div></body></html>"##,
        t = esc(title),
        nav = li_links(&n.nav, "page"),
        body = body,
        share = li_links(&n.share, "share"),
        comments = comments,
        related = related_cards(n),
        bio = bio(n),
        sidebar = li_links(&n.sidebar, "popular"),
        newsletter = esc(&n.newsletter),
        footer = esc(&n.footer),
    )
}

/// A page readability gets wrong on purpose: the article is short lines in
/// `<span>`s of a `div.story-lines` (a single-page-app's output), while the
/// comments are long paragraphs. A site rule (`div.story-lines`) fixes it.
fn hard(title: &str, body: &[String], n: &Noise) -> String {
    let body: String = body
        .iter()
        .map(|p| {
            p.split_inclusive(". ")
                .map(|s| format!("<span class=\"ln\">{}</span> ", esc(s.trim())))
                .collect::<String>()
        })
        .map(|p| format!("<div class=\"blk\">{p}</div>\n"))
        .collect();
    let comments: String = n
        .comments
        .iter()
        .map(|c| format!("<p>{}</p><p>{}</p>", esc(c), esc(c)))
        .collect();
    format!(
        r##"<!DOCTYPE html><html><head><title>{t}</title></head><body>
<div class="top"><ul>{nav}</ul></div>
<div class="app"><h1>{t}</h1><div class="story-lines">{body}</div>
<div class="tools">{share}</div>
<div class="talk">{comments}</div>
<div class="more">{related}</div>{bio}</div>
<div class="side">{sidebar} {newsletter}</div><div class="bottom">{footer}</div></body></html>"##,
        t = esc(title),
        nav = li_links(&n.nav, "n"),
        body = body,
        share = li_links(&n.share, "s"),
        comments = comments,
        related = related_cards(n),
        bio = bio(n),
        sidebar = li_links(&n.sidebar, "sb"),
        newsletter = esc(&n.newsletter),
        footer = esc(&n.footer),
    )
}

type Render = fn(&str, &[String], &Noise) -> String;

/// The pages: three of each engine (with 4, 7 and 12 paragraphs) and one
/// `hard` page that needs a site rule. Deterministic.
pub fn pages() -> Vec<SamplePage> {
    let engines: [(&'static str, Render); 4] = [
        ("wordpress", wordpress),
        ("ghost", ghost),
        ("hugo", hugo),
        ("blogger", blogger),
    ];
    let mut rng = Rng(0x7269_7665_7273);
    let mut out = Vec::new();
    for (engine, render) in engines {
        for (i, count) in [4usize, 7, 12].into_iter().enumerate() {
            out.push(page(&mut rng, engine, i + 1, count, render, None));
        }
    }
    out.push(page(&mut rng, "hard", 1, 6, hard, Some("div.story-lines")));
    out
}

fn page(
    rng: &mut Rng,
    engine: &'static str,
    index: usize,
    count: usize,
    render: Render,
    content_selector: Option<&'static str>,
) -> SamplePage {
    let title = format!("{} {index}", rng.sentence(WORDS, 5).trim_end_matches('.'));
    let paragraphs: Vec<String> = (0..count)
        .map(|_| {
            let sentences = 2 + rng.next() % 4;
            rng.paragraph(WORDS, sentences)
        })
        .collect();
    let noise = Noise::new(rng, &format!("{engine} site {index}"));
    let html = render(&title, &paragraphs, &noise);
    SamplePage {
        name: format!("{engine}-{index}"),
        engine,
        title,
        html,
        paragraphs,
        noise: noise.all(),
        content_selector,
    }
}

/// How much of a page's article an extracted text kept, and how much noise
/// it let through.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Article paragraphs found in the text, over all of them (1.0 is best).
    pub kept: f64,
    /// Noise strings found in the text, over all of them (0.0 is best).
    pub leaked: f64,
}

/// Score `text` (an extraction's plain text) against `page`. White space is
/// folded on both sides before comparing.
pub fn score(page: &SamplePage, text: &str) -> Score {
    let text = fold(text);
    let found = |s: &String| text.contains(&fold(s));
    let kept = page.paragraphs.iter().filter(|p| found(p)).count();
    let leaked = page.noise.iter().filter(|n| found(n)).count();
    Score {
        kept: kept as f64 / page.paragraphs.len().max(1) as f64,
        leaked: leaked as f64 / page.noise.len().max(1) as f64,
    }
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_deterministic_and_know_their_text() {
        let a = pages();
        let b = pages();
        assert_eq!(a.len(), 13);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.html, y.html);
        }
        for p in &a {
            // The whole page contains everything it claims, as a scorer sees it.
            let all = tributary_normalize::text::html_to_text(&p.html);
            let s = score(p, &all);
            assert_eq!(s.kept, 1.0, "{}", p.name);
            assert_eq!(s.leaked, 1.0, "{}", p.name);
        }
    }
}
