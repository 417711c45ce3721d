#!/usr/bin/env bash
# newsboat (Debian's 2.21) as a Google Reader client: its `feedhq` source
# logs in with ClientLogin, lists the subscriptions, reads every feed as a
# `reader/atom/feed/URL` stream and, when an article is opened, marks it
# read with `token` + `edit-tag`. Driven by scripts/test-clients.sh (see
# COMMON contract there): the user already follows feed1 and feed2 with 10
# entries stored.
#
#   1. `newsboat -x reload` fills newsboat's cache with the 10 entries,
#      under the feeds' titles, all unread;
#   2. newsboat runs in tmux: Enter opens the first feed, Enter opens its
#      first article (newsboat marks it read and tells the server), q q q quits;
#   3. the server shows exactly that article read (asked through the API,
#      and with `tributary search --json`);
#   4. a reload into a fresh cache shows that article read (the Atom
#      stream's `user/-/state/com.google/read` category);
#   5. "mark feed read" (A) on Feed 1 in newsboat reaches the server
#      (mark-all-as-read): Feed 1's five entries are read there too.
set -euo pipefail

fail() {
    echo "newsboat-greader: $*" >&2
    if [ -s "$WORK/newsboat.log" ]; then
        echo "--- newsboat's log (feedhq lines):" >&2
        grep -i "feedhq\|error" "$WORK/newsboat.log" | tail -n 40 >&2 || true
    fi
    exit 1
}

command -v newsboat >/dev/null || fail "newsboat is not installed"
command -v tmux >/dev/null || fail "tmux is not installed"
cd "$WORK"

cat >config <<EOF
urls-source "feedhq"
feedhq-url "$TRIBUTARY_URL/api/greader/"
feedhq-login "$TRIBUTARY_USER"
feedhq-password "$TRIBUTARY_API_PASSWORD"
feedhq-min-items 50
cache-file "$WORK/cache.db"
show-read-feeds yes
show-read-articles yes
confirm-exit no
feedhq-show-special-feeds no
EOF
: >urls
nb=(newsboat -C "$WORK/config" -c "$WORK/cache.db" -u "$WORK/urls" -l 6 -d "$WORK/newsboat.log")

# --- 1. reload: subscriptions and entries into newsboat's cache ---------------
timeout 120 "${nb[@]}" -x reload || fail "newsboat -x reload failed (exit $?)"

cache() { # SQL -> rows as "a|b|c"
    python3 - "$WORK/cache.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for row in db.execute(sys.argv[2]):
    print("|".join(str(c) for c in row))
PY
}

count=$(cache "SELECT count(*) FROM rss_item")
[ "$count" = 10 ] || fail "newsboat's cache holds $count entries, not 10: $(cache 'SELECT feedurl, title FROM rss_item')"
unread=$(cache "SELECT count(*) FROM rss_item WHERE unread = 1")
[ "$unread" = 10 ] || fail "$unread of newsboat's 10 entries are unread, not all 10"
for n in 1 2; do
    items=$(cache "SELECT count(*) FROM rss_item WHERE title LIKE 'Feed $n item %'")
    [ "$items" = 5 ] || fail "newsboat has $items entries of feed $n, not 5"
done
bad_guids=$(cache "SELECT count(*) FROM rss_item WHERE guid NOT LIKE 'tag:google.com,2005:reader/item/%'")
[ "$bad_guids" = 0 ] || fail "$bad_guids entries have no Google Reader item id as guid"
feeds=$(cache "SELECT count(*) FROM rss_feed WHERE rssurl LIKE '%/reader/atom/feed%'")
[ "$feeds" = 2 ] || fail "newsboat knows $feeds reader/atom feeds, not 2: $(cache 'SELECT rssurl FROM rss_feed')"
echo "newsboat-greader: reload put 10 unread entries of 2 feeds into newsboat's cache"

# --- 2. open the first feed and its first article in newsboat ------------------
session="tributary-greader-$$"
tmux kill-session -t "$session" 2>/dev/null || true
TERM=xterm tmux new-session -d -s "$session" -x 160 -y 40 \
    "${nb[*]} ; echo newsboat-exited >$WORK/exited"
cleanup() { tmux kill-session -t "$session" 2>/dev/null || true; }
trap cleanup EXIT

screen() { tmux capture-pane -p -t "$session" 2>/dev/null || true; }
wait_screen() { # TEXT SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        screen | grep -q -- "$1" && return 0
        sleep 0.1
    done
    fail "newsboat never showed \"$1\"; its screen: $(screen)"
}

wait_screen "Feed 2" 30
tmux send-keys -t "$session" Enter
wait_screen "Articles in feed" 10
tmux send-keys -t "$session" Enter
wait_screen "Body of feed" 10
opened=$(screen | grep -o "Feed [0-9] item [0-9]" | head -n1)
[ -n "$opened" ] || fail "cannot tell which article newsboat opened: $(screen)"
# newsboat marks the article read when it opens it (edit-tag goes out then).
sleep 1
tmux send-keys -t "$session" q
wait_screen "Articles in feed" 10
tmux send-keys -t "$session" q
wait_screen "Your feeds" 10
tmux send-keys -t "$session" q
for ((i = 0; i < 100; i++)); do [ -e "$WORK/exited" ] && break; sleep 0.1; done
[ -e "$WORK/exited" ] || fail "newsboat did not quit: $(screen)"
echo "newsboat-greader: newsboat opened \"$opened\""

# --- 3. the server's state -------------------------------------------------------
python3 - "$opened" <<'PY' || fail "the server does not show \"$opened\" (alone) as read"
import json, os, sys, urllib.parse, urllib.request

base = os.environ["TRIBUTARY_URL"] + "/api/greader"
form = urllib.parse.urlencode({
    "Email": os.environ["TRIBUTARY_USER"],
    "Passwd": os.environ["TRIBUTARY_API_PASSWORD"],
}).encode()
answer = urllib.request.urlopen(base + "/accounts/ClientLogin", form).read().decode()
auth = next(l[5:] for l in answer.splitlines() if l.startswith("Auth="))
def get(path):
    req = urllib.request.Request(base + path, headers={"Authorization": "GoogleLogin auth=" + auth})
    return json.load(urllib.request.urlopen(req))
read = get("/reader/api/0/stream/contents/user/-/state/com.google/read?n=100")
titles = [i["title"] for i in read["items"]]
print("newsboat-greader: read on the server:", titles)
if titles != [sys.argv[1]]:
    sys.exit(1)
unread = get("/reader/api/0/stream/items/ids?s=user/-/state/com.google/reading-list"
             "&xt=user/-/state/com.google/read&n=100")
if len(unread["itemRefs"]) != 9:
    print("unread on the server:", len(unread["itemRefs"]), "not 9")
    sys.exit(1)
PY

# The CLI sees the same state in the database.
"$TRIBUTARY_BIN" --config "$TRIBUTARY_CONFIG" search "\"$opened\"" --json >"$WORK/search.json" \
    || fail "tributary search failed"
python3 - "$WORK/search.json" "$opened" <<'PY' || fail "tributary search does not show \"$opened\" read"
import json, sys
hits = [h for h in json.load(open(sys.argv[1]))["hits"] if h["title"] == sys.argv[2]]
print("newsboat-greader: tributary search:", [(h["title"], h["read"]) for h in hits])
if len(hits) != 1 or not hits[0]["read"]:
    sys.exit(1)
PY

# --- 4. a fresh newsboat cache learns the read state from the Atom stream ----------
sed -i "s|^cache-file .*|cache-file \"$WORK/cache2.db\"|" config
timeout 120 newsboat -C "$WORK/config" -c "$WORK/cache2.db" -u "$WORK/urls" -x reload \
    || fail "the second newsboat -x reload failed"
read_now=$(python3 - "$WORK/cache2.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print("|".join(t for (t,) in db.execute("SELECT title FROM rss_item WHERE unread = 0 ORDER BY title")))
PY
)
[ "$read_now" = "$opened" ] || fail "a fresh newsboat cache shows \"$read_now\" read, not \"$opened\""
echo "newsboat-greader: a fresh newsboat reload shows \"$opened\" read (the Atom stream's read category)"

# --- 5. "mark feed read" in newsboat: mark-all-as-read on the server --------------
rm -f "$WORK/exited"
TERM=xterm tmux new-session -d -s "$session" -x 160 -y 40 \
    "newsboat -C $WORK/config -c $WORK/cache2.db -u $WORK/urls -l 6 -d $WORK/newsboat2.log ; echo newsboat-exited >$WORK/exited"
wait_screen "Your feeds" 30
feed1_line=$(screen | grep -n "Feed 1\$" | head -n1 | cut -d: -f1)
[ -n "$feed1_line" ] || fail "newsboat's feed list has no Feed 1: $(screen)"
# Line 1 is the title bar, line 2 the first feed: move down to Feed 1.
for ((i = 2; i < feed1_line; i++)); do tmux send-keys -t "$session" Down; sleep 0.2; done
tmux send-keys -t "$session" A
sleep 1
tmux send-keys -t "$session" q
for ((i = 0; i < 100; i++)); do [ -e "$WORK/exited" ] && break; sleep 0.1; done
[ -e "$WORK/exited" ] || fail "newsboat did not quit: $(screen)"
python3 - "$opened" <<'PY' || fail "after \"mark feed read\" on Feed 1 the server is not in the right state"
import json, os, sys, urllib.parse, urllib.request

base = os.environ["TRIBUTARY_URL"] + "/api/greader"
form = urllib.parse.urlencode({
    "Email": os.environ["TRIBUTARY_USER"],
    "Passwd": os.environ["TRIBUTARY_API_PASSWORD"],
}).encode()
answer = urllib.request.urlopen(base + "/accounts/ClientLogin", form).read().decode()
auth = next(l[5:] for l in answer.splitlines() if l.startswith("Auth="))
req = urllib.request.Request(base + "/reader/api/0/stream/contents/user/-/state/com.google/read?n=100",
                             headers={"Authorization": "GoogleLogin auth=" + auth})
titles = sorted(i["title"] for i in json.load(urllib.request.urlopen(req))["items"])
print("newsboat-greader: read on the server after mark feed read:", titles)
want = sorted([sys.argv[1]] + ["Feed 1 item %d" % m for m in range(1, 6)])
if titles != want:
    print("expected", want)
    sys.exit(1)
PY
echo "newsboat-greader: ok"
