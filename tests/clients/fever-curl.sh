#!/usr/bin/env bash
# The Fever API through the real binary, as a Fever client speaks it (form
# POSTs with api_key = md5("user:API password")), with curl: the 10 entries
# the driver fetched are listed, one is marked read and saved, and the
# server's own CLI sees the change.
set -euo pipefail

fail() { echo "fever-curl: $*" >&2; exit 1; }
key=$(printf '%s:%s' "$TRIBUTARY_USER" "$TRIBUTARY_API_PASSWORD" | md5sum | cut -d' ' -f1)
fever() { curl -sS --fail-with-body -X POST "$TRIBUTARY_URL/api/fever/?api&$1" --data "api_key=$key${2:+&$2}"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# A wrong key is auth 0.
[ "$(curl -sS -X POST "$TRIBUTARY_URL/api/fever/?api" --data api_key=0123 | json 'd["auth"]')" = 0 ] \
    || fail "a wrong key was accepted"

groups=$(fever "groups&feeds")
[ "$(echo "$groups" | json 'd["auth"]')" = 1 ] || fail "the API password's key was refused: $groups"
[ "$(echo "$groups" | json '[g["title"] for g in d["groups"]]')" = "['Networking']" ] \
    || fail "groups: $groups"
[ "$(echo "$groups" | json 'len(d["feeds"])')" = 2 ] || fail "feeds: $groups"

items=$(fever "items&since_id=0")
[ "$(echo "$items" | json 'd["total_items"]')" = 10 ] || fail "items: $items"
titles=$(echo "$items" | json '" | ".join(sorted(i["title"] for i in d["items"]))')
case "$titles" in *"Feed 1 item 1"*"Feed 2 item 5"*) ;; *) fail "titles: $titles" ;; esac
id=$(echo "$items" | json '[i["id"] for i in d["items"] if i["title"] == "Feed 2 item 3"][0]')

unread=$(fever "" "mark=item&as=read&id=$id" | json 'd["unread_item_ids"]')
case ",$unread," in *",$id,"*) fail "item $id still unread: $unread" ;; esac
saved=$(fever "" "mark=item&as=saved&id=$id" | json 'd["saved_item_ids"]')
[ "$saved" = "$id" ] || fail "saved: $saved"

# The server's state, through its own command line.
"$TRIBUTARY_BIN" --config "$TRIBUTARY_CONFIG" search '"Feed 2 item 3"' --starred --json \
    | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if d['total']==1 and d['hits'][0]['read'] else 1)" \
    || fail "the CLI does not see the entry read and starred"
n=$("$TRIBUTARY_BIN" --config "$TRIBUTARY_CONFIG" search 'item' --unread --json -n 50 | json 'd["total"]')
[ "$n" = 9 ] || fail "$n unread entries, not 9"
echo "fever-curl: 10 items listed, one marked read and saved, the server agrees"
