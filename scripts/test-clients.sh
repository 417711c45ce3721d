#!/usr/bin/env bash
# The real-client tests of the reader APIs: Debian's newsboat (as a Miniflux
# and as a Google Reader client), the official Miniflux Python client, and
# schemathesis against /v1/openapi.json — each scenario in tests/clients/
# against its own fresh `tributary serve` on loopback and a loopback feed
# server (tests/clients/feeds.py). Installs what they need first.
#
#   scripts/test-clients.sh [SCENARIO...]    (default: every tests/clients/*.sh and *.py but feeds.py)
#
# A scenario gets TRIBUTARY_URL, TRIBUTARY_BIN, TRIBUTARY_CONFIG, TRIBUTARY_USER,
# TRIBUTARY_DATABASE, TRIBUTARY_PASSWORD, TRIBUTARY_API_PASSWORD, FEEDS_URL,
# SUBSCRIBED and WORK
# (see tests/clients/README.md); the server's log is printed when it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { printf '\n== %s\n' "$*"; }
sudo_if_needed() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi
}

# --- what the scenarios need -------------------------------------------------
need_apt=()
command -v newsboat >/dev/null || need_apt+=(newsboat)
command -v tmux >/dev/null || need_apt+=(tmux)
command -v curl >/dev/null || need_apt+=(curl)
python3 -m venv --help >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
    say "installing ${need_apt[*]}"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
venv="$target_dir/clients-venv"
stamp="$venv/.requirements"
if ! cmp -s tests/clients/requirements.txt "$stamp" 2>/dev/null; then
    say "installing the Python clients (tests/clients/requirements.txt) into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/clients/requirements.txt
    cp tests/clients/requirements.txt "$stamp"
fi
export PATH="$venv/bin:$PATH"

say "cargo build -p tributary (for the client tests)"
cargo build --locked -p tributary
bin="$target_dir/debug/tributary"

# --- one scenario ---------------------------------------------------------------
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    pids=()
}
trap cleanup EXIT

wait_for_file() { # FILE SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do [ -s "$1" ] && return 0; sleep 0.1; done
    echo "timed out waiting for $1" >&2
    return 1
}

run_scenario() {
    local scenario=$1 name work feeds_url port api_password
    name=$(basename "$scenario")
    work=$(mktemp -d "${TMPDIR:-/tmp}/tributary-client.XXXXXX")
    mkdir -p "$work/feeds" "$work/scratch"

    python3 tests/clients/feeds.py "$work/feeds" &
    pids+=($!)
    wait_for_file "$work/feeds/port" 20
    feeds_url="http://127.0.0.1:$(cat "$work/feeds/port")"

    cat >"$work/config.toml" <<TOML
[fetch]
allow_private_networks = true
TOML
    export TRIBUTARY_DATABASE="sqlite://$work/tributary.db"
    local t=("$bin" --config "$work/config.toml")
    printf 'correct horse battery\n' >"$work/password"
    "${t[@]}" user add alice --admin --password-file "$work/password" >/dev/null
    api_password=$("${t[@]}" user token add alice --description "$name" 2>/dev/null)
    "${t[@]}" add "$feeds_url/feed1.xml" --category Networking --no-fetch >/dev/null
    "${t[@]}" add "$feeds_url/feed2.xml" --no-fetch >/dev/null
    "${t[@]}" fetch --all >/dev/null

    "${t[@]}" serve --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.log" &
    pids+=($!)
    wait_for_file "$work/serve.out" 60
    local first
    first=$(head -n1 "$work/serve.out")
    port=${first##*:}

    local status=0
    (
        export TRIBUTARY_URL="http://127.0.0.1:$port" TRIBUTARY_BIN="$bin"
        export TRIBUTARY_CONFIG="$work/config.toml" TRIBUTARY_USER=alice
        export TRIBUTARY_PASSWORD="correct horse battery" TRIBUTARY_API_PASSWORD="$api_password"
        export FEEDS_URL="$feeds_url" SUBSCRIBED=yes WORK="$work/scratch"
        cd "$work/scratch"
        case "$scenario" in
            *.py) python3 "$root/$scenario" ;;
            *) bash "$root/$scenario" ;;
        esac
    ) || status=$?
    cleanup
    if [ "$status" -ne 0 ]; then
        echo "FAILED: $name (exit $status); the server's log:" >&2
        tail -n 60 "$work/serve.log" >&2 || true
        return "$status"
    fi
    rm -rf "$work"
    echo "ok: $name"
}

scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
    for f in tests/clients/*.sh tests/clients/*.py; do
        [ -e "$f" ] || continue
        case "$(basename "$f")" in feeds.py) continue ;; esac
        scenarios+=("$f")
    done
fi
failed=0
for s in "${scenarios[@]}"; do
    say "client scenario $s"
    run_scenario "$s" || failed=$((failed + 1))
done
if [ "$failed" -ne 0 ]; then
    echo "$failed of ${#scenarios[@]} client scenarios failed" >&2
    exit 1
fi
echo "all ${#scenarios[@]} client scenarios passed"
