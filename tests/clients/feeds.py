#!/usr/bin/env python3
"""The loopback feed server of the real-client scenarios.

Writes feed1.xml .. feed3.xml (RSS 2.0, 5 items each, titled "Feed N item
M", one hour apart) and page.html (a page linking feed1.xml) into DIR,
serves DIR on 127.0.0.1 at a free port, and writes the port to DIR/port.

    feeds.py DIR
"""
import email.utils
import http.server
import os
import sys
import time
from functools import partial

ITEMS = 5
FEEDS = 3


def feed(n: int, base: str) -> str:
    now = time.time()
    items = []
    for m in range(1, ITEMS + 1):
        when = email.utils.formatdate(now - 3600 * (FEEDS * ITEMS - (n - 1) * ITEMS - m), usegmt=True)
        items.append(
            f"""<item><title>Feed {n} item {m}</title>
<link>{base}/feed{n}/item{m}.html</link>
<guid isPermaLink="false">feed{n}-item{m}</guid>
<pubDate>{when}</pubDate>
<description>&lt;p&gt;Body of feed {n} item {m}.&lt;/p&gt;</description></item>"""
        )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Feed {n}</title><link>{base}/feed{n}/</link>
<description>Test feed {n}</description>
{''.join(items)}
</channel></rss>
"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def guess_type(self, path):
        if str(path).endswith(".xml"):
            return "application/rss+xml"
        return super().guess_type(path)


def main() -> None:
    root = sys.argv[1]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=root))
    port = server.server_address[1]
    base = f"http://127.0.0.1:{port}"
    for n in range(1, FEEDS + 1):
        with open(os.path.join(root, f"feed{n}.xml"), "w", encoding="utf-8") as f:
            f.write(feed(n, base))
    with open(os.path.join(root, "page.html"), "w", encoding="utf-8") as f:
        f.write(
            '<!doctype html><html><head><title>A page</title>'
            f'<link rel="alternate" type="application/rss+xml" title="Feed 1" href="{base}/feed1.xml">'
            "</head><body>hello</body></html>\n"
        )
    with open(os.path.join(root, "port.tmp"), "w") as f:
        f.write(str(port))
    os.replace(os.path.join(root, "port.tmp"), os.path.join(root, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main()
