#!/usr/bin/env bash
# newsboat (Debian's 2.21) as a Miniflux client of Tributary's /v1/ API:
# `urls-source "miniflux"` with HTTP Basic (user name + API password; 2.21
# has no miniflux-token). `newsboat -x reload` must pull both subscriptions
# and their 10 entries into its cache; then newsboat itself, driven in tmux,
# opens an article, and the read mark it sends (PUT /v1/entries) must show
# in the server's state: the one entry newsboat has read is the one entry
# the server has read.
set -euo pipefail

fail() { echo "newsboat-miniflux: $*" >&2; exit 1; }
command -v newsboat >/dev/null || fail "newsboat is not installed"
command -v tmux >/dev/null || fail "tmux is not installed"
[ "${SUBSCRIBED:-}" = yes ] || fail "the driver must subscribe feed1 and feed2 first"

dir="$WORK/newsboat-miniflux"
mkdir -p "$dir"
cat >"$dir/config" <<CONF
urls-source "miniflux"
miniflux-url "$TRIBUTARY_URL/"
miniflux-login "$TRIBUTARY_USER"
miniflux-password "$TRIBUTARY_API_PASSWORD"
show-read-feeds yes
show-read-articles yes
confirm-exit no
CONF
: >"$dir/urls"
nb=(newsboat -C "$dir/config" -u "$dir/urls" -c "$dir/cache.db" -l 6 -d "$dir/newsboat.log")

api() { # PATH → JSON on stdout
    curl -sf -H "X-Auth-Token: $TRIBUTARY_API_PASSWORD" "$TRIBUTARY_URL$1" \
        || fail "GET $1 failed"
}
cache() { python3 - "$dir/cache.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for row in db.execute(sys.argv[2]):
    print("|".join(str(c) for c in row))
PY
}

# 1. Reload: the feeds and entries arrive in newsboat's cache.
"${nb[@]}" -x reload || fail "newsboat -x reload failed (see $dir/newsboat.log)"
feeds=$(cache "select count(*) from rss_feed")
items=$(cache "select count(*) from rss_item")
unread=$(cache "select count(*) from rss_item where unread = 1")
[ "$feeds" = 2 ] || fail "newsboat's cache has $feeds feeds, not 2"
[ "$items" = 10 ] || fail "newsboat's cache has $items entries, not 10"
[ "$unread" = 10 ] || fail "newsboat's cache has $unread unread entries, not 10"
titles=$(cache "select title from rss_item order by title" | tr '\n' ',')
case "$titles" in
    "Feed 1 item 1,Feed 1 item 2,Feed 1 item 3,Feed 1 item 4,Feed 1 item 5,Feed 2 item 1,"*"Feed 2 item 5,") ;;
    *) fail "newsboat's entries are not the server's: $titles" ;;
esac
server_ids=$(api "/v1/entries?limit=100&order=id" | python3 -c 'import json,sys; print(" ".join(str(e["id"]) for e in sorted(json.load(sys.stdin)["entries"], key=lambda e: e["id"])))')
cache_ids=$(cache "select guid from rss_item order by cast(guid as integer)" | tr '\n' ' ' | sed 's/ $//')
[ "$server_ids" = "$cache_ids" ] || fail "newsboat's guids ($cache_ids) are not the server's entry ids ($server_ids)"

# 2. Open the first article of the first feed in newsboat's own UI, waiting
#    for each screen to show before pressing the next key.
session="tributary-newsboat-$$"
tmux new-session -d -s "$session" -x 160 -y 50 "${nb[*]}; sleep 2"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
screen_shows() { # TEXT SECONDS: wait until the screen shows TEXT
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        tmux capture-pane -p -t "$session" 2>/dev/null | grep -q -- "$1" && return 0
        sleep 0.1
    done
    tmux capture-pane -p -t "$session" >&2 || true
    fail "newsboat's screen never showed \"$1\""
}
screen_shows "Feed 1" 30                 # the feed list
tmux send-keys -t "$session" Enter      # open the first feed
screen_shows "item 5" 10                 # its article list
tmux send-keys -t "$session" Enter      # open its first article: newsboat marks it read
screen_shows "Body of feed" 10           # the article
sleep 1
tmux send-keys -t "$session" q          # back to the article list
sleep 0.5
tmux send-keys -t "$session" q          # back to the feed list
sleep 0.5
tmux send-keys -t "$session" q          # quit
for _ in $(seq 1 50); do
    tmux has-session -t "$session" 2>/dev/null || break
    sleep 0.2
done

read_in_cache=$(cache "select guid from rss_item where unread = 0")
[ -n "$read_in_cache" ] || fail "newsboat marked nothing read (see $dir/newsboat.log)"
[ "$(printf '%s\n' "$read_in_cache" | wc -l)" = 1 ] || fail "newsboat marked more than one entry read: $read_in_cache"

# 3. The server has that entry, and only that one, read (newsboat sends the
#    mark from a background thread: allow it a moment).
server_read=""
for _ in $(seq 1 50); do
    server_read=$(api "/v1/entries?status=read" | python3 -c 'import json,sys; print(" ".join(str(e["id"]) for e in json.load(sys.stdin)["entries"]))')
    [ -n "$server_read" ] && break
    sleep 0.2
done
[ "$server_read" = "$read_in_cache" ] || fail "the server's read entries ($server_read) are not newsboat's ($read_in_cache)"
unread_now=$(api "/v1/entries?status=unread" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
[ "$unread_now" = 9 ] || fail "the server has $unread_now unread entries, not 9"

# 4. A reload keeps newsboat and the server in agreement.
"${nb[@]}" -x reload || fail "second reload failed"
[ "$(cache "select count(*) from rss_item where unread = 1")" = 9 ] || fail "after a reload newsboat does not show 9 unread"
echo "newsboat-miniflux: ok"
