#!/usr/bin/env bash
# Fetch + parse + store of N farm feeds by Tributary, on loopback:
#   cold (first fetch of everything), warm (nothing changed: 304s where the
#   feed supports validators), and 10 % changed.
# Usage: bench/fetch_farm.sh [FEEDS] [ITEMS] [PORT]
# Needs ../shared/bench/feedfarm.py and a release build (cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."
feeds=${1:-1000}
items=${2:-50}
port=${3:-8911}
farm=../shared/bench/feedfarm.py
bin=./target/release/tributary
[ -x "$bin" ] || cargo build --release --quiet
work=$(mktemp -d)
trap 'kill $farm_pid 2>/dev/null || true; rm -rf "$work"' EXIT

python3 "$farm" serve --feeds "$feeds" --items "$items" --port "$port" --timeout 900 >"$work/farm.json" 2>"$work/farm.log" &
farm_pid=$!
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/_stats" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "http://127.0.0.1:$port/feeds.opml" >"$work/feeds.opml"

export TRIBUTARY_DATABASE="sqlite://$work/tributary.db" TRIBUTARY_ALLOW_PRIVATE_NETWORKS=1
timed() { # label, command...
    local label=$1; shift
    /usr/bin/time -f "%e s wall, %U s user, %S s sys, max RSS %M KB" -o "$work/time" "$@" >"$work/out"
    printf '%-10s %s | %s\n' "$label" "$(tail -1 "$work/out")" "$(cat "$work/time")"
}
echo "Tributary $($bin --version | cut -d' ' -f2), $feeds feeds x $items items, farm on 127.0.0.1:$port"
timed import "$bin" import "$work/feeds.opml"
# One host serves every feed here, so the per-host limit is raised to the global one.
timed cold "$bin" fetch --all --concurrency 32 --per-host 32
timed warm "$bin" fetch --all --concurrency 32 --per-host 32
curl -fsS "http://127.0.0.1:$port/_bump?n=$((feeds / 10))" >/dev/null
timed changed "$bin" fetch --all --concurrency 32 --per-host 32
echo "database: $(du -h "$work/tributary.db" | cut -f1)"
