#!/usr/bin/env python3
"""Conformance of `tributary parse --json` with Python feedparser's test suite.

Usage (from the repository root):

    python3 conformance/run.py                      # summary on stdout
    python3 conformance/run.py --write docs/CONFORMANCE.md
    python3 conformance/run.py --check-floor        # exit 1 if a folder is below conformance/floor.tsv
    python3 conformance/run.py --update-floor       # record the current counts as the floor
    python3 conformance/run.py --only wellformed/rss --show-failures

Each document of ../shared/corpus/feedparser/ has one expectation (EXPECT.tsv):
a Python expression over feedparser's result dictionary. This script parses the
document with `tributary parse --json`, maps the JSON Feed + `_tributary`
extension output onto a feedparser-shaped dictionary (see `to_feedparser`),
and evaluates the expression on it. Stdlib only.

Documents that feedparser's harness serves over HTTP (the `served_over_http`
column) are served here too, from a loopback server that sends the
`Header:` lines of EXPECT.tsv, and fetched as `http://127.0.0.1:PORT/tests/<path>`
(TRIBUTARY_ALLOW_PRIVATE_NETWORKS=1 lets the fetcher reach loopback).

Which value each key is judged on (feedparser sanitizes too, so HTML is
compared after sanitizing):
- titles, ids, links, authors, dates, categories, enclosures, language:
  the parser's view (`_tributary.parsed`), i.e. after entity decoding and
  xml:base resolution, before normalize's plain-text rewriting;
- HTML content and summaries: normalize's sanitized HTML
  (`_tributary.normalized.content_html` / `summary_html`), since that is
  what Tributary stores and serves; plain-text ones: the parsed text.

Sanitized HTML is compared modulo serialization choices that do not change
the document (see `HtmlStr`): void-element and self-closing syntax, attribute
order and quote style, the `rel` our sanitizer adds to links, and character
references to letters or digits.

The parser's model is mapped key by key (`to_feedparser`): text constructs
with their own type, base and language (`*_detail`), every link with its rel,
tags with scheme and label, contributors, iTunes (`itunes_block`,
`itunes_explicit`, `itunes_duration`, `image`), Media RSS (`media_content`,
`media_thumbnail`, `media_credit`, `media_player`, `media_rating`,
`media_restriction`, `media_license`), Podcasting 2.0 (`podcast_*`), the
version, and, as feedparser's dictionary does, `updated` answering with
`published` when a feed or entry has no update date.

Cases that test feedparser-only keys are listed in conformance/not_applicable.tsv.
"""

import argparse
import calendar
import concurrent.futures
import fnmatch
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_CORPUS = os.path.join(ROOT, "..", "shared", "corpus", "feedparser")
DEFAULT_BIN = os.path.join(ROOT, "target", "debug", "tributary")
FLOOR = os.path.join(HERE, "floor.tsv")
NOT_APPLICABLE = os.path.join(HERE, "not_applicable.tsv")
COMMAND = "python3 conformance/run.py --write docs/CONFORMANCE.md"


# --------------------------------------------------------------------------
# feedparser-shaped dictionary


class FeedParserDict(dict):
    """dict with feedparser's attribute access and key aliases."""

    KEYMAP = {
        "channel": "feed",
        "items": "entries",
        "guid": "id",
        "date": "updated",
        "date_parsed": "updated_parsed",
        "description": ["summary", "subtitle"],
        "description_detail": ["summary_detail", "subtitle_detail"],
        "url": ["href"],
        "modified": "updated",
        "modified_parsed": "updated_parsed",
        "issued": "published",
        "issued_parsed": "published_parsed",
        "copyright": "rights",
        "copyright_detail": "rights_detail",
        "tagline": "subtitle",
        "tagline_detail": "subtitle_detail",
    }

    def __getitem__(self, key):
        if key == "category":
            try:
                return dict.__getitem__(self, "tags")[0]["term"]
            except (IndexError, KeyError):
                raise KeyError("object doesn't have key 'category'")
        if key == "enclosures":
            links = dict.get(self, "links", [])
            return [
                FeedParserDict((n, v) for n, v in link.items() if n != "rel")
                for link in links
                if link.get("rel") == "enclosure"
            ]
        if key == "license":
            for link in dict.get(self, "links", []):
                if link.get("rel") == "license" and "href" in link:
                    return link["href"]
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            pass
        real = self.KEYMAP.get(key)
        if isinstance(real, list):
            for k in real:
                if dict.__contains__(self, k):
                    return dict.__getitem__(self, k)
        elif real is not None and dict.__contains__(self, real):
            return dict.__getitem__(self, real)
        raise KeyError(key)

    def __contains__(self, key):
        if key in ("tags", "categories") and not dict.get(self, "tags"):
            return False
        try:
            self.__getitem__(key)
        except KeyError:
            return False
        return True

    has_key = __contains__

    def get(self, key, default=None):
        try:
            return self.__getitem__(key)
        except KeyError:
            return default

    def __getattr__(self, key):
        try:
            return self.__getitem__(key)
        except KeyError:
            raise AttributeError("object has no attribute '%s'" % key)


def fpd(**kw):
    return FeedParserDict((k, v) for k, v in kw.items())


def struct_time(iso):
    """RFC 3339 UTC text → time.struct_time in UTC, as feedparser gives."""
    if not iso:
        return None
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)", iso)
    if not m:
        return None
    secs = calendar.timegm(tuple(int(g) for g in m.groups()) + (0, 0, 0))
    return time.gmtime(secs)


MIME = {"Plain": "text/plain", "Html": "text/html"}


def detail(text, base=None, value=None):
    """A text construct's `*_detail` dict: type, value, language and base as parsed."""
    if text is None:
        return None
    return fpd(
        type=text.get("media_type") or MIME.get(text.get("kind"), "text/plain"),
        value=text.get("value") if value is None else value,
        language=text.get("language"),
        base=text.get("base") or base or "",
    )


def person(p):
    d = FeedParserDict()
    if p.get("name") is not None:
        d["name"] = p["name"]
    if p.get("email") is not None:
        d["email"] = p["email"]
    if p.get("uri") is not None:
        d["href"] = p["uri"]
    return d


def author_string(p):
    name, email = p.get("name"), p.get("email")
    if name and email:
        return "%s (%s)" % (name, email)
    return name or email or ""


def put_authors(d, people):
    people = [p for p in people or [] if p]
    if not people:
        return
    d["authors"] = [person(p) for p in people]
    d["author_detail"] = person(people[0])
    d["author"] = author_string(people[0])


def put_contributors(d, people):
    people = [p for p in people or [] if p]
    if people:
        d["contributors"] = [person(p) for p in people]


def link_dict(link):
    """One of our links as feedparser gives it (feedparser fills a missing
    type: application/atom+xml for rel=self, text/html otherwise)."""
    rel = link.get("rel") or "alternate"
    d = fpd(rel=rel, href=link.get("href"))
    mt = link.get("media_type")
    if mt:
        d["type"] = mt
    elif rel != "enclosure":
        d["type"] = "application/atom+xml" if rel == "self" else "text/html"
    if link.get("title") is not None:
        d["title"] = link["title"]
    if link.get("length") is not None:
        d["length"] = str(link["length"])
    if link.get("hreflang") is not None:
        d["hreflang"] = link["hreflang"]
    return d


def put_tags(d, tags):
    if tags:
        d["tags"] = [fpd(term=t.get("term"), scheme=t.get("scheme"), label=t.get("label")) for t in tags]


EXPLICIT = {"Yes": True, "Clean": False, "Unknown": None}


def put_itunes(d, it):
    if not it:
        return
    if it.get("block") is not None:
        d["itunes_block"] = 1 if it["block"] else 0
    if it.get("explicit") is not None:
        d["itunes_explicit"] = EXPLICIT.get(it["explicit"])
    if it.get("duration") is not None:
        d["itunes_duration"] = it["duration"]
    if it.get("image"):
        d["image"] = fpd(href=it["image"])


def strs(obj, keys):
    """feedparser keeps Media RSS attributes as strings."""
    out = FeedParserDict()
    for ours, theirs in keys:
        if obj.get(ours) is not None:
            out[theirs] = str(obj[ours])
    return out


def put_media(d, m):
    if not m:
        return
    if m.get("content"):
        d["media_content"] = [
            strs(c, [("url", "url"), ("media_type", "type"), ("medium", "medium"), ("file_size", "filesize"),
                     ("duration_secs", "duration"), ("width", "width"), ("height", "height"),
                     ("bitrate", "bitrate"), ("lang", "lang")])
            for c in m["content"]
        ]
    if m.get("thumbnails"):
        d["media_thumbnail"] = [
            strs(t, [("url", "url"), ("width", "width"), ("height", "height"), ("time", "time")])
            for t in m["thumbnails"]
        ]
    if m.get("player"):
        p = strs(m["player"], [("url", "url"), ("width", "width"), ("height", "height")])
        p["content"] = ""
        d["media_player"] = p
    def qualified(q, keys):
        out = strs(q, keys)
        out["content"] = q.get("content", "")
        return out
    if m.get("credits"):
        d["media_credit"] = [qualified(c, [("role", "role"), ("scheme", "scheme")]) for c in m["credits"]]
    if m.get("ratings"):
        d["media_rating"] = qualified(m["ratings"][0], [("scheme", "scheme")])
    if m.get("restriction"):
        r = qualified(m["restriction"], [("relationship", "relationship"), ("kind", "type")])
        # feedparser splits the restriction's country/URI list.
        r["content"] = [c.strip().lower() for c in r["content"].split(" ")] if r["content"].strip() else r["content"]
        d["media_restriction"] = r
    if m.get("license"):
        d["media_license"] = qualified(m["license"], [("kind", "type"), ("href", "href")])
    if m.get("keywords"):
        d["media_keywords"] = ", ".join(m["keywords"])


def put_podcast(d, p):
    if not p:
        return
    if p.get("guid"):
        d["podcast_guid"] = p["guid"]
    if p.get("locked") is not None:
        d["podcast_locked"] = p["locked"]
    for key in ("funding", "persons", "transcripts", "chapters"):
        if p.get(key):
            d["podcast_" + key] = p[key]


ATTR = re.compile(r"""\s+([^\s=>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
START_TAG = re.compile(r"""<([A-Za-z][^\s>/]*)((?:\s+[^\s=>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*>""")


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


def sort_attrs(m):
    """A start tag with its attributes sorted and double-quoted (attribute
    order and quote style carry no meaning)."""
    def quoted(v):
        if v.startswith("'") and v.endswith("'") and '"' not in v:
            return '"%s"' % v[1:-1]
        return v
    attrs = ATTR.findall(m.group(2))
    return "<" + m.group(1) + "".join((" %s=%s" % (k, quoted(v))) if v else (" " + k) for k, v in sorted(attrs)) + ">"


class HtmlStr(str):
    """Sanitized HTML compared modulo serialization choices that do not change
    the document: `<br />` vs `<br>` (void elements), and the
    `rel="noopener noreferrer"` our sanitizer adds to every link on purpose."""

    @staticmethod
    def canon(value):
        value = value.replace(' rel="noopener noreferrer"', "")
        # A self-closed element is the element with nothing inside (void
        # HTML elements have no end tag at all).
        value = re.sub(r"<([A-Za-z][^\s>/]*)([^<>]*?)\s*/>",
                       lambda m: "<%s%s>" % (m.group(1), m.group(2)) + ("" if m.group(1).lower() in VOID else "</%s>" % m.group(1)),
                       value)
        # A character reference to a letter or digit is that letter or digit.
        def char_ref(m):
            n = int(m.group(1)[1:], 16) if m.group(1)[:1] in "xX" else int(m.group(1))
            c = chr(n) if n < 0x110000 else ""
            return c if c.isascii() and c.isalnum() else m.group(0)
        value = re.sub(r"&#([xX][0-9a-fA-F]+|[0-9]+);", char_ref, value)
        # Attribute order carries no meaning: compare each start tag's
        # attributes sorted.
        return re.sub(START_TAG, sort_attrs, value)

    def __eq__(self, other):
        if isinstance(other, str):
            return self.canon(str(self)) == self.canon(other) or dom(str(self)) == dom(other)
        return NotImplemented

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = str.__hash__


def dom(markup):
    """The DOM a browser builds from an HTML fragment, serialized canonically
    (html5lib: the WHATWG parsing algorithm; attributes sorted, every value
    quoted, end tags explicit), with `scheme://host` URLs written as the URL
    standard serializes them (`scheme://host/`). Two fragments with the same
    DOM are the same document to every reader — e.g. feedparser's `<circle>`
    left open inside `<svg>` and our `<circle />`."""
    try:
        import html5lib
        from html5lib import serializer
    except ImportError:
        sys.exit("conformance/run.py needs html5lib (pip install html5lib==1.1; scripts/test.sh does)")
    frag = html5lib.parseFragment(markup, namespaceHTMLElements=False)
    out = serializer.HTMLSerializer(
        alphabetical_attributes=True, quote_attr_values="always", omit_optional_tags=False,
        use_trailing_solidus=False, minimize_boolean_attributes=False, resolve_entities=True,
    ).render(html5lib.getTreeWalker("etree")(frag))
    out = out.replace(' rel="noopener noreferrer"', "")
    return re.sub(r'((?:href|src)=")([a-z][a-z0-9+.-]*://[^/"?#]+)(")', r"\1\2/\3", out)


def html_or_text(text, sanitized, normalized=True):
    """The value judged for a content/summary: sanitized HTML, or the plain text.

    When normalize ran, a missing sanitized value means the sanitizer left
    nothing (normalize stores `None` for empty HTML): judge "" then, never
    the unsanitized input."""
    if text is None:
        return None
    if text.get("kind") == "Html":
        if sanitized is None:
            sanitized = "" if normalized else text.get("value")
        return HtmlStr(sanitized)
    return text.get("value")


def put_dates(d, p):
    for key in ("published", "updated"):
        if p.get(key):
            d[key] = p[key]
            d[key + "_parsed"] = struct_time(p[key])
    # feedparser answers `updated` with `published` when there is no update date.
    if "updated" not in d and "published" in d:
        d["updated"] = d["published"]
        d["updated_parsed"] = d["published_parsed"]


def to_feedparser(doc):
    """Our JSON output (one document) → feedparser's result dictionary."""
    ext = doc.get("_tributary", {})
    parsed = ext.get("parsed", {}) or {}
    meta = ext.get("meta", {}) or {}
    feed = FeedParserDict()
    title = parsed.get("title")
    if title is not None:
        feed["title"] = title["value"]
        feed["title_detail"] = detail(title)
    desc = parsed.get("description")
    if desc is not None:
        feed["subtitle"] = desc["value"]
        feed["subtitle_detail"] = detail(desc)
    summary = parsed.get("summary")
    if summary is not None:
        feed["summary"] = summary["value"]
        feed["summary_detail"] = detail(summary)
    if parsed.get("id") is not None:
        feed["id"] = parsed["id"]
    links = [link_dict(l) for l in parsed.get("links") or []]
    if parsed.get("site_url"):
        feed["link"] = parsed["site_url"]
    if links:
        feed["links"] = links
    if parsed.get("language"):
        feed["language"] = parsed["language"]
    if parsed.get("image_url"):
        feed["image"] = fpd(href=parsed["image_url"], url=parsed["image_url"])
    if parsed.get("icon_url"):
        feed["icon"] = parsed["icon_url"]
    if parsed.get("logo_url"):
        feed["logo"] = parsed["logo_url"]
    if parsed.get("new_feed_url"):
        feed["itunes_new-feed-url"] = parsed["new_feed_url"]
        feed["newlocation"] = parsed["new_feed_url"]
    if parsed.get("ttl") is not None:
        feed["ttl"] = str(parsed["ttl"])
    put_dates(feed, parsed)
    put_authors(feed, parsed.get("authors"))
    put_contributors(feed, parsed.get("contributors"))
    put_tags(feed, parsed.get("categories"))
    put_itunes(feed, parsed.get("itunes"))
    put_media(feed, parsed.get("media"))
    put_podcast(feed, parsed.get("podcast"))

    entries = []
    for item in doc.get("items", []):
        x = item.get("_tributary", {})
        p = x.get("parsed", {}) or {}
        n = x.get("normalized", {}) or {}
        e = FeedParserDict()
        ebase = p.get("base_url")
        if p.get("id") is not None:
            e["id"] = p["id"]
        if p.get("title") is not None:
            e["title"] = p["title"]["value"]
            e["title_detail"] = detail(p["title"], ebase)
        if p.get("subtitle") is not None:
            e["subtitle"] = p["subtitle"]["value"]
            e["subtitle_detail"] = detail(p["subtitle"], ebase)
        if p.get("link"):
            e["link"] = p["link"]
        if p.get("id") is not None or p.get("link"):
            e["guidislink"] = bool(p.get("link_from_guid"))
        elinks = [link_dict(l) for l in p.get("links") or []]
        if elinks:
            e["links"] = elinks
        content = p.get("content")
        if content is not None:
            value = html_or_text(content, n.get("content_html"), bool(n))
            e["content"] = [detail(content, ebase, value)]
            if p.get("content_src"):
                e["content"][0]["src"] = p["content_src"]
        if p.get("language"):
            e["language"] = p["language"]
        summary = p.get("summary")
        if summary is not None:
            value = html_or_text(summary, n.get("summary_html"), bool(n))
            e["summary"] = value
            e["summary_detail"] = detail(summary, ebase, value)
        elif content is not None:
            # feedparser copies content into summary when there is no summary.
            e["summary"] = e["content"][0]["value"]
            e["summary_detail"] = e["content"][0]
        put_dates(e, p)
        put_authors(e, p.get("authors"))
        put_contributors(e, p.get("contributors"))
        put_tags(e, p.get("tags"))
        if p.get("image_url"):
            e["image"] = fpd(href=p["image_url"])
        put_itunes(e, p.get("itunes"))
        put_media(e, p.get("media"))
        put_podcast(e, p.get("podcast"))
        entries.append(e)

    return {
        "bozo": 1 if ext.get("bozo") else 0,
        "bozo_exception": ext.get("bozo_reason"),
        "encoding": ext.get("encoding", "utf-8"),
        "version": ext.get("version", ""),
        "feed": feed,
        "channel": feed,
        "entries": entries,
        "items": entries,
        "headers": {},
        "namespaces": {},
    }


def failed_result(message):
    """What a document we refused looks like: bozo, nothing else."""
    return {
        "bozo": 1,
        "bozo_exception": message,
        "encoding": "",
        "version": "",
        "feed": FeedParserDict(),
        "channel": FeedParserDict(),
        "entries": [],
        "items": [],
        "headers": {},
        "namespaces": {},
    }


# --------------------------------------------------------------------------
# running the binary


def batch_supported(binary, corpus):
    """Whether `parse --json` takes several files (one JSON document per line)."""
    probe = [os.path.join(corpus, "json", "example.json")] * 2
    try:
        out = subprocess.run([binary, "parse", "--json"] + probe, capture_output=True, timeout=60)
    except OSError as exc:
        sys.exit("cannot run %s: %s" % (binary, exc))
    return out.returncode == 0 and len(out.stdout.splitlines()) == 2


def run_one(binary, source, env=None):
    proc = subprocess.run(
        [binary, "parse", source, "--json"], capture_output=True, timeout=120, env=env
    )
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip() or ("exit status %d" % proc.returncode)
        return {"_tributary": {"error": msg}}
    try:
        return json.loads(proc.stdout.decode("utf-8"))
    except ValueError as exc:
        return {"_tributary": {"error": "invalid JSON output: %s" % exc}}


def run_batch(binary, sources, env=None):
    proc = subprocess.run(
        [binary, "parse", "--json"] + sources, capture_output=True, timeout=600, env=env
    )
    lines = proc.stdout.decode("utf-8", "replace").splitlines()
    if len(lines) != len(sources):
        # Fall back to one process per file so one bad line cannot shift the rest.
        return [run_one(binary, s, env) for s in sources]
    return [json.loads(line) for line in lines]


class Server:
    """Loopback HTTP server answering /tests/<path> with the case's headers."""

    def __init__(self, corpus, headers_by_path):
        corpus_dir = corpus

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                path = self.path.split("?", 1)[0]
                rel = path[len("/tests/"):] if path.startswith("/tests/") else None
                full = os.path.join(corpus_dir, rel) if rel else None
                if not full or not os.path.isfile(full):
                    self.send_error(404)
                    return
                with open(full, "rb") as f:
                    body = f.read()
                self.send_response(200)
                headers = headers_by_path.get(rel, [])
                if not any(name.lower() == "content-type" for name, _ in headers):
                    self.send_header("Content-Type", "application/xml")
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        for port in (8097, 0):
            try:
                self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
                break
            except OSError:
                continue
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


# --------------------------------------------------------------------------
# cases


def load_cases(corpus):
    path = os.path.join(corpus, "EXPECT.tsv")
    if not os.path.isfile(path):
        sys.exit("the feedparser corpus is missing: %s not found" % path)
    cases = []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            fields = line.rstrip("\n").split("\t")
            fields += [""] * (len(header) - len(fields))
            cases.append(dict(zip(header, fields)))
    return cases


def load_not_applicable():
    rules = []
    with open(NOT_APPLICABLE, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            pattern, reason = line.split("\t", 1)
            rules.append((pattern, reason))
    return rules


def not_applicable(case, rules):
    for pattern, reason in rules:
        if pattern.startswith("expect~"):
            if re.search(pattern[len("expect~"):], case["expect"]):
                return pattern, reason
        elif fnmatch.fnmatch(case["path"], pattern) or case["path"].startswith(pattern.rstrip("*")) and pattern.endswith("/"):
            return pattern, reason
    if case.get("skip_unless"):
        try:
            eval(case["skip_unless"])
        except Exception:
            return "skip_unless", "this Python lacks what the case needs: " + case["skip_unless"]
    return None


def folder(path):
    parts = path.split("/")
    if parts[0] == "wellformed" and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0]


class PlainStr(str):
    """A title or description as Tributary keeps it: plain text (markup
    stripped, escaped wherever it is shown). Equal to feedparser's sanitized
    HTML when it is that HTML's text as a browser shows it — so script or
    style text that feedparser dropped must be gone from ours too."""

    @staticmethod
    def fold(value):
        return " ".join(value.split())

    # normalize's title for an entry whose title has no text (NewEntry.title is never empty)
    placeholder = False

    def __eq__(self, other):
        if isinstance(other, str):
            theirs = self.fold(html_text(other))
            if self.placeholder:
                return theirs == ""
            return self.fold(str(self)) == theirs
        return NotImplemented

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = str.__hash__


def html_text(markup):
    """The text a browser shows for an HTML fragment (tags dropped, references decoded)."""
    import html.parser

    out = []

    class P(html.parser.HTMLParser):
        def handle_data(self, data):
            out.append(data)

    p = P(convert_charrefs=True)
    p.feed(markup)
    p.close()
    return "".join(out)


def plain_titles(result, doc):
    """In the sanitize folder, HTML titles and descriptions are judged on our
    normalized plain text (`_tributary.meta` for the feed, each item's
    `_tributary.normalized.title`): that is what we store and serve for them,
    not sanitized HTML."""
    feed = result["feed"]
    ext = doc.get("_tributary", {})
    parsed = ext.get("parsed", {}) or {}
    meta = ext.get("meta", {}) or {}
    if (parsed.get("title") or {}).get("kind") == "Html":
        feed["title"] = PlainStr(meta.get("title") or "")
    if (parsed.get("description") or {}).get("kind") == "Html":
        feed["subtitle"] = PlainStr(meta.get("description") or "")
    for e, item in zip(result["entries"], doc.get("items", [])):
        x = item.get("_tributary", {})
        p = x.get("parsed", {}) or {}
        if (p.get("title") or {}).get("kind") == "Html":
            title = PlainStr((x.get("normalized") or {}).get("title") or "")
            title.placeholder = not html_text(p["title"].get("value", "")).strip() and str(title) == "Untitled"
            e["title"] = title


def judge(case, doc, port):
    """(passed, what we gave) for one case."""
    if "error" in doc.get("_tributary", {}) and "items" not in doc:
        result = failed_result(doc["_tributary"]["error"])
    else:
        result = to_feedparser(doc)
        if case["path"].startswith("wellformed/sanitize/"):
            plain_titles(result, doc)
    expect = case["expect"]
    if port != 8097:
        expect = expect.replace("127.0.0.1:8097", "127.0.0.1:%d" % port)
    env = dict(result)
    try:
        ok = bool(eval(expect, {"__builtins__": __builtins__, "time": time}, env))
    except Exception as exc:  # a missing key is a failure, like in feedparser's harness
        ok = False
        gave = "%s: %s" % (type(exc).__name__, exc)
        return ok, gave
    if ok and case["path"].startswith("wellformed/") and result["bozo"]:
        return False, "bozo: %s" % result["bozo_exception"]
    return ok, describe(result, expect)


def describe(result, expect):
    """A short view of the values the expression looked at."""
    bits = []
    if "bozo" in expect:
        bits.append("bozo=%r" % result["bozo"])
        if result["bozo"]:
            bits.append("(%s)" % str(result["bozo_exception"])[:120])
    for m in sorted(set(re.findall(r"(feed|entries\[\d+\])((?:\[['\"][^'\"]+['\"]\]|\[\d+\]|\.\w+)+)", expect))):
        src = m[0] + m[1]
        try:
            val = eval(src, {}, dict(result))
        except Exception as exc:
            val = "<%s>" % type(exc).__name__
        bits.append("%s=%r" % (src, val))
    for name in ("encoding", "version"):
        if re.search(r"\b%s\b" % name, expect):
            bits.append("%s=%r" % (name, result[name]))
    text = "; ".join(bits)
    return text[:400]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("TRIBUTARY_BIN", DEFAULT_BIN))
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--write", metavar="FILE", help="write the Markdown report")
    ap.add_argument("--check-floor", action="store_true")
    ap.add_argument("--update-floor", action="store_true")
    ap.add_argument("--only", help="path prefix of the cases to run")
    ap.add_argument("--show-failures", action="store_true")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()

    if not os.path.isfile(args.bin):
        sys.exit("the tributary binary is missing: %s (cargo build -p tributary, or --bin)" % args.bin)
    corpus = os.path.abspath(args.corpus)
    cases = load_cases(corpus)
    if args.only:
        cases = [c for c in cases if c["path"].startswith(args.only)]
    rules = load_not_applicable()

    applicable, skipped = [], []
    for case in cases:
        na = not_applicable(case, rules)
        if na:
            skipped.append((case, na))
        else:
            applicable.append(case)

    started = time.time()
    local = [c for c in applicable if c.get("served_over_http") != "1"]
    remote = [c for c in applicable if c.get("served_over_http") == "1"]
    docs = {}
    headers_by_path = {}
    for c in remote:
        hs = []
        for h in filter(None, (x.strip() for x in c.get("http_headers", "").split(" | "))):
            name, _, value = h.partition(":")
            hs.append((name.strip(), value.strip()))
        headers_by_path[c["path"]] = hs
    server = Server(corpus, headers_by_path) if remote else None
    env = dict(os.environ, TRIBUTARY_ALLOW_PRIVATE_NETWORKS="1")

    batch = batch_supported(args.bin, corpus)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {}
        if batch:
            paths = [os.path.join(corpus, c["path"]) for c in local]
            chunk = max(1, (len(paths) + args.jobs - 1) // max(1, args.jobs))
            for i in range(0, len(paths), chunk):
                part = local[i:i + chunk]
                futures[pool.submit(run_batch, args.bin, paths[i:i + chunk])] = part
        else:
            for c in local:
                futures[pool.submit(run_one, args.bin, os.path.join(corpus, c["path"]))] = [c]
        for c in remote:
            url = "http://127.0.0.1:%d/tests/%s" % (server.port, c["path"])
            futures[pool.submit(run_one, args.bin, url, env)] = [c]
        for fut, part in futures.items():
            got = fut.result()
            if isinstance(got, dict):
                got = [got]
            for c, d in zip(part, got):
                docs[c["path"]] = d
    if server:
        server.close()
    elapsed = time.time() - started

    stats = OrderedDict()
    failures = []
    for case in cases:
        f = folder(case["path"])
        s = stats.setdefault(f, {"cases": 0, "na": 0, "applicable": 0, "passed": 0})
        s["cases"] += 1
    for case, _ in skipped:
        stats[folder(case["path"])]["na"] += 1
    port = server.port if server else 8097
    for case in applicable:
        s = stats[folder(case["path"])]
        s["applicable"] += 1
        ok, gave = judge(case, docs.get(case["path"], {"_tributary": {"error": "not run"}}), port)
        if ok:
            s["passed"] += 1
        else:
            failures.append((case, gave))

    total_app = sum(s["applicable"] for s in stats.values())
    total_pass = sum(s["passed"] for s in stats.values())
    summary = summary_table(stats, total_app, total_pass)
    print(summary)
    print("%d documents in %.1f s (%s)" % (len(applicable), elapsed, "batch" if batch else "one process per document"))
    if args.show_failures:
        for case, gave in failures:
            print("FAIL %s\n  expect: %s\n  gave:   %s" % (case["path"], case["expect"], gave))
    if args.write:
        write_report(args.write, stats, total_app, total_pass, failures, skipped)
    if args.update_floor:
        with open(FLOOR, "w", encoding="utf-8") as f:
            f.write("# folder\tpassed (minimum number of passing cases; written by --update-floor)\n")
            for name, s in stats.items():
                f.write("%s\t%d\n" % (name, s["passed"]))
    if args.check_floor:
        return check_floor(stats)
    return 0


def pct(passed, applicable):
    return 100.0 * passed / applicable if applicable else 100.0


def summary_table(stats, total_app, total_pass):
    rows = ["| folder | cases | not applicable | applicable | passed | rate |", "|---|---:|---:|---:|---:|---:|"]
    for name, s in stats.items():
        rows.append("| %s | %d | %d | %d | %d | %.1f %% |" % (name, s["cases"], s["na"], s["applicable"], s["passed"], pct(s["passed"], s["applicable"])))
    rows.append("| **all** | %d | %d | %d | %d | **%.1f %%** |" % (
        sum(s["cases"] for s in stats.values()), sum(s["na"] for s in stats.values()), total_app, total_pass, pct(total_pass, total_app)))
    return "\n".join(rows)


def md_cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def differential_section():
    """The differential test's accepted disagreements (conformance/differential/known.tsv)."""
    path = os.path.join(HERE, "differential", "known.tsv")
    out = ["## Differential test against Python feedparser\n",
           "`crates/cli/tests/differential.rs` (in the test suite) parses every feed of "
           "`../shared/corpus/realworld/` with feedparser 6.0.14 and with `tributary parse --json`, "
           "and compares, for each feed both accept, the number of entries and each entry's title, "
           "link and publication date (to the minute). The test fails unless the disagreements are "
           "exactly the ones below (`conformance/differential/known.tsv`), each with the reason ours "
           "is the better answer; how the outputs are put in the same terms is in "
           "[DIFFERENTIAL.md](DIFFERENTIAL.md).\n"]
    rows = []
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            next(f, None)
            for line in f:
                cols = line.rstrip("\n").split("\t")
                if len(cols) >= 4:
                    rows.append(cols)
    out.append("%d accepted disagreements.\n" % len(rows))
    if rows:
        out.append("| feed | field | entries | reason |\n|---|---|---:|---|")
        for cols in rows:
            out.append("| %s | %s | %s | %s |" % tuple(md_cell(c) for c in cols[:4]))
    out.append("")
    return "\n".join(out)


def write_report(path, stats, total_app, total_pass, failures, skipped):
    out = []
    out.append("# Conformance with feedparser's test suite\n")
    out.append("Generated by `%s` (after `cargo build -p tributary`); do not edit by hand.\n" % COMMAND)
    out.append("How it works: `conformance/run.py` parses every document of "
               "`../shared/corpus/feedparser/` with `tributary parse --json`, maps the output onto "
               "feedparser's result dictionary and evaluates the document's expectation "
               "(see the script's docstring for which value — parsed or sanitized — each key is "
               "judged on). `crates/cli/tests/conformance.rs` runs it with `--check-floor`: the "
               "counts in `conformance/floor.tsv` may not go down.\n")
    out.append("**Overall: %d of %d applicable cases pass (%.1f %%).**\n" % (total_pass, total_app, pct(total_pass, total_app)))
    out.append(summary_table(stats, total_app, total_pass) + "\n")
    out.append("## Not applicable\n")
    out.append("Rules from `conformance/not_applicable.tsv` (path glob or `expect~regex` → reason), with how many cases each removed.\n")
    counts = OrderedDict()
    for _, (pattern, reason) in skipped:
        counts.setdefault((pattern, reason), 0)
        counts[(pattern, reason)] += 1
    out.append("| rule | cases | reason |\n|---|---:|---|")
    for (pattern, reason), n in counts.items():
        out.append("| `%s` | %d | %s |" % (md_cell(pattern), n, md_cell(reason)))
    out.append("")
    out.append(differential_section())
    out.append("## Failing cases\n")
    out.append("%d failures: path, expectation, and what we gave.\n" % len(failures))
    out.append("| path | expectation | we gave |\n|---|---|---|")
    for case, gave in failures:
        out.append("| %s | `%s` | %s |" % (md_cell(case["path"]), md_cell(case["expect"]).replace("`", "'"), md_cell(gave)))
    out.append("")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


def check_floor(stats):
    if not os.path.isfile(FLOOR):
        print("no floor recorded: %s is missing" % FLOOR)
        return 1
    bad = []
    with open(FLOOR, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            name, floor = line.rstrip("\n").split("\t")[:2]
            passed = stats.get(name, {}).get("passed", 0)
            if passed < int(floor):
                bad.append("%s: %d passing, floor %s" % (name, passed, floor))
    if bad:
        print("BELOW THE FLOOR:\n  " + "\n  ".join(bad))
        return 1
    print("every folder is at or above its floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
