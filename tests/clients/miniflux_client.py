#!/usr/bin/env python3
"""The official Miniflux Python client (`miniflux` on PyPI, pinned in
requirements.txt) against Tributary's /v1/ API, unchanged: only the URL
differs from a Miniflux server.

Creates a category, adds $FEEDS_URL/feed3.xml to it, lists and pages
entries (offset and after_entry_id), marks entries read, bookmarks one,
exports OPML, and checks auth failures; every step asserts the server's
answer, and the reading state is checked once more through the CLI
(`tributary search --json`), i.e. in the server's database.
"""
import json
import os
import subprocess
import sys

import miniflux

URL = os.environ["TRIBUTARY_URL"]
USER = os.environ["TRIBUTARY_USER"]
SECRET = os.environ["TRIBUTARY_API_PASSWORD"]
FEEDS = os.environ["FEEDS_URL"]


def fail(message):
    print(f"miniflux_client: {message}", file=sys.stderr)
    sys.exit(1)


def check(cond, message):
    if not cond:
        fail(message)


def cli(*args):
    out = subprocess.run(
        [os.environ["TRIBUTARY_BIN"], "--config", os.environ["TRIBUTARY_CONFIG"], *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def expect_error(code, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except miniflux.ClientError as e:
        check(e.status_code == code, f"{call.__name__} answered {e.status_code}, not {code}")
        reason = e.get_error_reason()
        check(reason and not reason.startswith("status_code="), f"{call.__name__}: no error_message")
        return reason
    fail(f"{call.__name__}{args} succeeded; expected {code}")


def all_ids(client, page, **filters):
    """Page through entries `page` at a time by offset; each id once."""
    seen, offset, total = [], 0, None
    while True:
        got = client.get_entries(limit=page, offset=offset, order="id", direction="asc", **filters)
        total = got["total"] if total is None else total
        check(got["total"] == total, "total changed while paging")
        if not got["entries"]:
            return seen, total
        seen += [e["id"] for e in got["entries"]]
        offset += page


def main():
    token = miniflux.Client(URL, api_key=SECRET)
    basic = miniflux.Client(URL, username=USER, password=SECRET)

    # Who am I, both ways.
    for client in (token, basic):
        me = client.me()
        check(me["username"] == USER, f"me() is {me['username']!r}")
        check(me["is_admin"] is True, "the scenario's user is an admin")
    check("version" in token.get_version(), "get_version has no version")

    # Wrong credentials are 401 with an error_message, the login password too.
    expect_error(401, miniflux.Client(URL, api_key="not-a-key").me)
    expect_error(401, miniflux.Client(URL, username=USER, password="wrong").me)
    expect_error(
        401, miniflux.Client(URL, username=USER, password=os.environ["TRIBUTARY_PASSWORD"]).me
    )

    # The driver's subscriptions: feed1 in Networking, feed2 uncategorized.
    feeds = {f["feed_url"]: f for f in token.get_feeds()}
    check(set(feeds) == {f"{FEEDS}/feed1.xml", f"{FEEDS}/feed2.xml"}, f"feeds: {sorted(feeds)}")
    check(feeds[f"{FEEDS}/feed1.xml"]["category"]["title"] == "Networking", "feed1's category")
    check(feeds[f"{FEEDS}/feed1.xml"]["title"] == "Feed 1", "feed1's title")

    # A category, then a feed in it (fetched before the answer, like Miniflux).
    category = token.create_category("Reading")
    check(category["title"] == "Reading" and category["id"] > 0, f"create_category: {category}")
    check(any(c["id"] == category["id"] for c in token.get_categories()), "category not listed")
    expect_error(400, token.create_category, "Reading")

    feed_id = token.create_feed(f"{FEEDS}/feed3.xml", category_id=category["id"])
    feed = token.get_feed(feed_id)
    check(feed["category"]["id"] == category["id"], f"feed3's category: {feed['category']}")
    check(feed["title"] == "Feed 3", f"feed3's title: {feed['title']!r}")
    check(
        [f["id"] for f in token.get_category_feeds(category["id"])] == [feed_id],
        "the category's feeds",
    )
    expect_error(400, token.create_feed, f"{FEEDS}/feed3.xml", category_id=category["id"])

    entries = token.get_feed_entries(feed_id, order="published_at", direction="desc")
    check(entries["total"] == 5, f"feed3 has {entries['total']} entries")
    titles = [e["title"] for e in entries["entries"]]
    check(titles == [f"Feed 3 item {m}" for m in range(5, 0, -1)], f"feed3's titles: {titles}")
    check(all(e["status"] == "unread" for e in entries["entries"]), "new entries are unread")
    check(all(e["feed"]["id"] == feed_id for e in entries["entries"]), "entries carry their feed")

    # Paging: by offset, and by after_entry_id; every entry once.
    ids, total = all_ids(token, 4)
    check(total == 15 and len(ids) == 15 and len(set(ids)) == 15, f"paged {len(ids)} of {total}")
    after, keyset = 0, []
    while True:
        got = basic.get_entries(limit=4, after_entry_id=after, order="id", direction="asc")
        if not got["entries"]:
            break
        keyset += [e["id"] for e in got["entries"]]
        after = keyset[-1]
    check(keyset == sorted(ids), "after_entry_id paging differs from offset paging")

    # Mark feed3's entries read; the server's database shows it.
    feed3_ids = [e["id"] for e in entries["entries"]]
    check(token.update_entries(feed3_ids[:3], "read"), "update_entries")
    unread = token.get_feed_entries(feed_id, status="unread")
    check(unread["total"] == 2, f"{unread['total']} unread after marking 3 of 5 read")
    check(token.get_entry(feed3_ids[0])["status"] == "read", "get_entry status")
    hits = cli("search", "item", "--feed", f"{FEEDS}/feed3.xml", "--unread", "--json")
    unread_titles = sorted(h["title"] for h in hits_list(hits))
    check(unread_titles == ["Feed 3 item 1", "Feed 3 item 2"], f"server's unread: {unread_titles}")
    check(token.update_entries(feed3_ids[:1], "unread"), "update_entries unread")
    check(token.get_feed_entries(feed_id, status="unread")["total"] == 3, "unread again")
    expect_error(400, token.update_entries, feed3_ids, "bogus")

    # Bookmark: toggled on, listed as starred, toggled off.
    target = feed3_ids[1]
    check(token.toggle_bookmark(target), "toggle_bookmark")
    check(token.get_entry(target)["starred"] is True, "bookmarked entry is not starred")
    starred = token.get_entries(starred=True)
    check([e["id"] for e in starred["entries"]] == [target], f"starred: {starred['total']}")
    check(token.toggle_bookmark(target), "toggle_bookmark again")
    check(token.get_entry(target)["starred"] is False, "second toggle did not unstar")

    # Counters and mark-all-as-read of a feed.
    counters = token.get_feed_counters()
    check(counters["unreads"].get(str(feed_id)) == 3, f"counters: {counters}")
    check(counters["reads"].get(str(feed_id)) == 2, f"counters: {counters}")
    token.mark_feed_entries_as_read(feed_id)
    check(token.get_feed_entries(feed_id, status="unread")["total"] == 0, "mark feed read")

    # OPML export has all three feeds and the new category.
    opml = token.export_feeds()
    for n in (1, 2, 3):
        check(f"{FEEDS}/feed{n}.xml" in opml, f"feed{n} missing from the export")
    check('"Reading"' in opml, "the Reading category is missing from the export")

    # Not found and bad ids.
    expect_error(404, token.get_feed, 999999)
    expect_error(404, token.get_entry, 999999)
    expect_error(400, token.get_entries, status="bogus")

    # API keys: a new one works at once and stops working when deleted.
    key = token.create_api_key("miniflux_client scenario")
    check(key["token"] and key["description"] == "miniflux_client scenario", f"api key: {key}")
    second = miniflux.Client(URL, api_key=key["token"])
    check(second.me()["username"] == USER, "the new API key does not work")
    check(any(k["id"] == key["id"] for k in token.get_api_keys()), "new key not listed")
    token.delete_api_key(key["id"])
    expect_error(401, second.me)
    check(token.get_integrations_status() is False, "integrations status")

    # Clean up through the client: delete the feed and the category.
    token.delete_feed(feed_id)
    expect_error(404, token.get_feed, feed_id)
    token.delete_category(category["id"])
    check(all(c["id"] != category["id"] for c in token.get_categories()), "category deleted")
    print("miniflux_client: ok")


def hits_list(hits):
    if isinstance(hits, dict):
        for key in ("hits", "results", "entries"):
            if key in hits:
                return hits[key]
    return hits


if __name__ == "__main__":
    main()
