#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests and benchmarks, on loopback.
#
#   scripts/postgres.sh start [DIR]   install Debian's postgresql if missing,
#                                     create a cluster in DIR (default
#                                     target/postgres), start it on a free
#                                     port of 127.0.0.1, and print its URL
#   scripts/postgres.sh stop [DIR]    stop it (the data stays until DIR is removed)
#   scripts/postgres.sh url [DIR]     print the URL of the running server
#
# The cluster has its own data directory, socket directory and port, so it
# never touches a system PostgreSQL. The role `tributary` has a password
# (written to DIR/password) and host connections use SCRAM, so the tests
# see a real password in the URL (and check that it is never logged).
set -euo pipefail

cmd=${1:-start}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${2:-$ROOT/target/postgres}

# As root the server runs as `postgres`, which must reach DIR: a checkout under
# a private home directory (/root) is not reachable, so use /tmp then. Called
# once the package (and so the user) is installed.
resolve_dir() {
    mkdir -p "$ROOT/target"
    if [ -z "${ARG_DIR:-}" ] && [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 \
        && ! runuser -u postgres -- test -x "$ROOT/target" 2>/dev/null; then
        DIR=${TMPDIR:-/tmp}/tributary-postgres-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)
    fi
}
ARG_DIR=${2:-}

bindir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
    done
    return 1
}

install() {
    if ! bindir >/dev/null; then
        echo "postgres.sh: installing postgresql from Debian's packages" >&2
        if [ "$(id -u)" = 0 ]; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
        else
            sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
        fi
    fi
}

# PostgreSQL refuses to run as root: as root, the server runs as `postgres`.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

url() {
    echo "postgres://tributary:$(cat "$DIR/password")@127.0.0.1:$(cat "$DIR/port")/postgres"
}

case "$cmd" in
start)
    install
    resolve_dir
    B=$(bindir)
    if [ -f "$DIR/data/postmaster.pid" ] && as_owner "$B/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
        url
        exit 0
    fi
    rm -rf "$DIR"
    mkdir -p "$DIR/socket"
    python3 -c 'import secrets; print(secrets.token_hex(12))' > "$DIR/password"
    free_port > "$DIR/port"
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$DIR"; fi
    as_owner "$B/initdb" -D "$DIR/data" -U tributary --pwfile="$DIR/password" \
        --auth-local=trust --auth-host=scram-sha-256 --locale=C --encoding=UTF8 >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log" >&2; exit 1; }
    # Tests make a database each, in parallel: room for their connections.
    as_owner "$B/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
        -o "-p $(cat "$DIR/port") -k $DIR/socket -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
    url
    ;;
stop)
    resolve_dir
    B=$(bindir) || exit 0
    if [ -d "$DIR/data" ]; then
        as_owner "$B/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
url)
    resolve_dir
    url
    ;;
*)
    echo "usage: scripts/postgres.sh start|stop|url [DIR]" >&2
    exit 2
    ;;
esac
