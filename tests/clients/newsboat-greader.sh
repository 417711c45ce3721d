#!/usr/bin/env bash
# newsboat (Debian's 2.21) as a Google Reader client: its `feedhq` source
# logs in with ClientLogin, lists the subscriptions, reads every feed as a
# `reader/atom/feed/URL` stream and, when an article is opened, marks it
# read with `token` + `edit-tag`; "mark feed read" sends `mark-all-as-read`.
# Run by scripts/test-clients.sh: the user already follows feed1 and feed2
# (10 entries stored, all unread).
#
#   1. `newsboat -x reload` fills newsboat's cache with the 10 entries of
#      the 2 feeds, all unread, with Google Reader item ids as guids;
#   2. newsboat runs in tmux: Enter opens the first feed, Enter opens its
#      first article, q goes back to the list (newsboat has marked it read
#      and tells the server with token + edit-tag);
#   3. while newsboat still runs, the server shows exactly that article
#      read (polled through the API), and `tributary search --json` agrees;
#   4. a reload into a fresh cache shows that article read (the Atom
#      stream's `user/-/state/com.google/read` category);
#   5. "mark feed read" (A) on Feed 1 in newsboat reaches the server
#      (mark-all-as-read): Feed 1's five entries are read there too.
set -euo pipefail

fail() {
    echo "newsboat-greader: $*" >&2
    for log in "$WORK"/newsboat*.log; do
        [ -s "$log" ] || continue
        echo "--- $log (feedhq and error lines):" >&2
        grep -i "feedhq\|error" "$log" | tail -n 40 >&2 || true
    done
    exit 1
}

command -v newsboat >/dev/null || fail "newsboat is not installed"
command -v tmux >/dev/null || fail "tmux is not installed"
cd "$WORK"

write_config() { # CACHE
    cat >config <<EOF
urls-source "feedhq"
feedhq-url "$TRIBUTARY_URL/api/greader/"
feedhq-login "$TRIBUTARY_USER"
feedhq-password "$TRIBUTARY_API_PASSWORD"
feedhq-min-items 50
feedhq-show-special-feeds no
cache-file "$1"
show-read-feeds yes
show-read-articles yes
confirm-exit no
EOF
}
: >urls

cache() { # DB SQL -> rows as "a|b|c"
    python3 - "$1" "$2" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for row in db.execute(sys.argv[2]):
    print("|".join(str(c) for c in row))
PY
}

# The titles the server has read, sorted, joined by "|" (asked through the API).
read_on_server() {
    python3 - <<'PY'
import json, os, urllib.parse, urllib.request

base = os.environ["TRIBUTARY_URL"] + "/api/greader"
form = urllib.parse.urlencode({
    "Email": os.environ["TRIBUTARY_USER"],
    "Passwd": os.environ["TRIBUTARY_API_PASSWORD"],
}).encode()
answer = urllib.request.urlopen(base + "/accounts/ClientLogin", form).read().decode()
auth = next(l[5:] for l in answer.splitlines() if l.startswith("Auth="))
req = urllib.request.Request(
    base + "/reader/api/0/stream/contents/user/-/state/com.google/read?n=100",
    headers={"Authorization": "GoogleLogin auth=" + auth},
)
items = json.load(urllib.request.urlopen(req))["items"]
print("|".join(sorted(i["title"] for i in items)))
PY
}

wait_read() { # EXPECTED SECONDS: until the server's read titles are EXPECTED
    local i got=""
    for ((i = 0; i < $2 * 4; i++)); do
        got=$(read_on_server)
        [ "$got" = "$1" ] && return 0
        sleep 0.25
    done
    fail "the server has read \"$got\", not \"$1\""
}

session="tributary-greader-$$"
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
start_newsboat() { # CACHE LOG
    rm -f "$WORK/exited"
    TERM=xterm tmux new-session -d -s "$session" -x 160 -y 40 \
        "newsboat -C $WORK/config -c $1 -u $WORK/urls -l 6 -d $2 ; echo exited >$WORK/exited"
    wait_screen "Your feeds" 30
}
quit_newsboat() { # from the feed list
    tmux send-keys -t "$session" q
    local i
    for ((i = 0; i < 100; i++)); do [ -e "$WORK/exited" ] && return 0; sleep 0.1; done
    fail "newsboat did not quit: $(screen)"
}

# --- 1. reload: subscriptions and entries into newsboat's cache ---------------
write_config "$WORK/cache.db"
timeout 120 newsboat -C config -c "$WORK/cache.db" -u urls -l 6 -d "$WORK/newsboat.log" -x reload \
    || fail "newsboat -x reload failed (exit $?)"
db="$WORK/cache.db"
count=$(cache "$db" "SELECT count(*) FROM rss_item")
[ "$count" = 10 ] || fail "newsboat's cache holds $count entries, not 10: $(cache "$db" 'SELECT feedurl, title FROM rss_item')"
unread=$(cache "$db" "SELECT count(*) FROM rss_item WHERE unread = 1")
[ "$unread" = 10 ] || fail "$unread of newsboat's 10 entries are unread, not all 10"
for n in 1 2; do
    items=$(cache "$db" "SELECT count(*) FROM rss_item WHERE title LIKE 'Feed $n item %'")
    [ "$items" = 5 ] || fail "newsboat has $items entries of feed $n, not 5"
done
bad_guids=$(cache "$db" "SELECT count(*) FROM rss_item WHERE guid NOT LIKE 'tag:google.com,2005:reader/item/%'")
[ "$bad_guids" = 0 ] || fail "$bad_guids entries have no Google Reader item id as guid"
feeds=$(cache "$db" "SELECT count(*) FROM rss_feed WHERE rssurl LIKE '%/reader/atom/feed%'")
[ "$feeds" = 2 ] || fail "newsboat knows $feeds reader/atom feeds, not 2: $(cache "$db" 'SELECT rssurl FROM rss_feed')"
echo "newsboat-greader: reload put 10 unread entries of 2 feeds into newsboat's cache"

# --- 2. open the first feed and its first article in newsboat ------------------
start_newsboat "$WORK/cache.db" "$WORK/newsboat-ui.log"
tmux send-keys -t "$session" Enter
wait_screen "Articles in feed" 10
tmux send-keys -t "$session" Enter
wait_screen "Body of feed" 10
opened=$(screen | grep -o "Feed [0-9] item [0-9]" | head -n1)
[ -n "$opened" ] || fail "cannot tell which article newsboat opened: $(screen)"
echo "newsboat-greader: newsboat opened \"$opened\""

# --- 3. the server's state -------------------------------------------------------
# Back in the article list, newsboat has told the server (edit-tag).
tmux send-keys -t "$session" q
wait_screen "Articles in feed" 10
wait_read "$opened" 15
echo "newsboat-greader: the server has \"$opened\" read, and nothing else"
tmux send-keys -t "$session" q
wait_screen "Your feeds" 10
quit_newsboat

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
write_config "$WORK/cache2.db"
timeout 120 newsboat -C config -c "$WORK/cache2.db" -u urls -x reload \
    || fail "the second newsboat -x reload failed"
read_now=$(cache "$WORK/cache2.db" "SELECT title FROM rss_item WHERE unread = 0 ORDER BY title")
[ "$read_now" = "$opened" ] || fail "a fresh newsboat cache shows \"$read_now\" read, not \"$opened\""
echo "newsboat-greader: a fresh newsboat reload shows \"$opened\" read (the Atom stream's read category)"

# --- 5. "mark feed read" in newsboat: mark-all-as-read on the server --------------
start_newsboat "$WORK/cache2.db" "$WORK/newsboat-ui2.log"
feed1_line=$(screen | grep -n "Feed 1\$" | head -n1 | cut -d: -f1)
[ -n "$feed1_line" ] || fail "newsboat's feed list has no Feed 1: $(screen)"
# Line 1 is the title bar, line 2 the first feed: move down to Feed 1.
for ((i = 2; i < feed1_line; i++)); do tmux send-keys -t "$session" Down; sleep 0.2; done
tmux send-keys -t "$session" A
want=$(printf '%s\n' "$opened" "Feed 1 item "{1..5} | LC_ALL=C sort | paste -sd'|')
wait_read "$want" 15
echo "newsboat-greader: after A on Feed 1 the server has read: $want"
quit_newsboat
echo "newsboat-greader: ok"
