#!/usr/bin/env python3
"""Parse feeds with Python feedparser and print one JSON object per feed.

Used by `crates/cli/tests/differential.rs` (one process for every feed, so
the test stays fast). Reads file paths, one per line, on stdin; for each one
prints a JSON line, in the same order:

    {"path": ..., "version": ..., "bozo": bool, "error": str|null,
     "entries": [{"title": str|null, "title_text": str|null,
                  "link": str|null,
                  "published": "YYYY-MM-DDTHH:MM:SSZ"|null,
                  "updated": ...|null}]}

Dates are feedparser's `*_parsed` struct_time values, which feedparser has
already converted to UTC, printed as ISO 8601. Nothing here judges the
results: the Rust test does the comparing.
"""

import html
import json
import pathlib
import re
import sys

import feedparser


def iso(struct):
    """A feedparser struct_time (UTC) as an ISO 8601 string, or None."""
    if not struct:
        return None
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % tuple(struct[:6])


# A tag: `<` then a letter, `/` or `!` (so "a < b" in a plain-text title survives).
TAG = re.compile(r"<[A-Za-z/!][^>]*>")


def plain(title):
    """feedparser's title as plain text: tags dropped, entities decoded,
    whitespace folded. feedparser hands out HTML-typed titles as (sanitized)
    HTML, Tributary titles are plain text by design; this puts both in the
    same terms."""
    if title is None:
        return None
    return " ".join(html.unescape(TAG.sub("", title)).split())


def dump(path):
    try:
        # Read the bytes ourselves: feedparser would take a string that is
        # not an existing file for a URL or a document.
        with open(path, "rb") as f:
            data = f.read()
        # The document's own URL as the base for relative links, as
        # `tributary parse FILE` does (feedparser reads it from
        # Content-Location when it is given bytes).
        base = pathlib.Path(path).resolve().as_uri()
        d = feedparser.parse(data, response_headers={"content-location": base})
    except Exception as e:  # report, never stop the batch
        return {"path": path, "version": "", "bozo": True,
                "error": "%s: %s" % (type(e).__name__, e), "entries": []}
    entries = []
    for e in d.entries:
        entries.append({
            "title": e.get("title"),
            "title_text": plain(e.get("title")),
            "link": e.get("link"),
            "published": iso(e.get("published_parsed")),
            "updated": iso(e.get("updated_parsed")),
        })
    error = d.get("bozo_exception")
    return {
        "path": path,
        "version": d.get("version", "") or "",
        "bozo": bool(d.get("bozo")),
        "error": None if error is None else str(error),
        "entries": entries,
    }


def main():
    feedparser.SANITIZE_HTML = True
    for line in sys.stdin:
        path = line.rstrip("\n")
        if not path:
            continue
        print(json.dumps(dump(path), ensure_ascii=False), flush=False)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
