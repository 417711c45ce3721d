#!/usr/bin/env bash
# The one command that runs every test of Tributary, on a bare machine too:
# it installs what the tests need (Python feedparser, the reference parser the
# outputs are validated with; PostgreSQL from Debian's packages, started on
# loopback by scripts/postgres.sh), then checks formatting and lints and runs
# the supply-chain checks (scripts/supply-chain.sh), then the whole test
# suite: cargo's tests on SQLite, the storage-touching suites (store,
# refresh, web, migrate-db) again on PostgreSQL, the scale-out test (three fetch
# workers on one PostgreSQL, one killed), the crash loop shortened (SIGKILL
# and a full disk; tests/crash/crash.py), the real reader clients against the
# APIs (scripts/test-clients.sh) and the browser scenario (scripts/test-browser.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

sudo_if_needed() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi
}

# Debian packages the tests use (python3 + pip for the reference parser).
need_apt=()
command -v python3 >/dev/null || need_apt+=(python3)
python3 -m pip --version >/dev/null 2>&1 || need_apt+=(python3-pip)
if [ ${#need_apt[@]} -gt 0 ]; then
    say "installing ${need_apt[*]}"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# feedparser: the reference parser; html5lib: the conformance harness compares
# sanitized HTML by the DOM a browser builds from it.
if ! python3 -c 'import feedparser, html5lib, sys; sys.exit(feedparser.__version__ != "6.0.14" or html5lib.__version__ != "1.1")' 2>/dev/null; then
    say "installing Python feedparser 6.0.14 and html5lib 1.1"
    python3 -m pip install --quiet --disable-pip-version-check feedparser==6.0.14 html5lib==1.1 \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages feedparser==6.0.14 html5lib==1.1
fi
# aiosmtpd: the real SMTP server the e-mail digest tests send to (docs/MAIL.md).
if ! python3 -c 'import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != "1.4.6")' 2>/dev/null; then
    say "installing Python aiosmtpd 1.4.6"
    python3 -m pip install --quiet --disable-pip-version-check aiosmtpd==1.4.6 \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages aiosmtpd==1.4.6
fi

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "supply chain: no unsafe code, cargo-deny (scripts/supply-chain.sh)"
scripts/supply-chain.sh

say "PostgreSQL: a throw-away server on loopback (scripts/postgres.sh)"
PG_URL=$(scripts/postgres.sh start)
trap 'scripts/postgres.sh stop' EXIT

say "cargo test (SQLite)"
cargo test --workspace --locked

say "cargo test on PostgreSQL: store, refresh, web, mail, and migrate-db's copies"
TRIBUTARY_TEST_POSTGRES=$PG_URL cargo test --locked -p tributary-store -p tributary-refresh -p tributary-web -p tributary-mail
TRIBUTARY_TEST_POSTGRES=$PG_URL cargo test --locked -p tributary --test migrate_db

say "scale-out: three fetch workers on one PostgreSQL, 2,000 farm feeds, one killed"
python3 tests/scaleout/scaleout.py --bin target/debug/tributary --server "$PG_URL"

say "crash safety: SIGKILL at random moments (fetch --all and serve), then a full disk (shortened; the full loop: tests/crash/crash.py)"
python3 tests/crash/crash.py --bin target/debug/tributary --kills 4 --feeds 500
scripts/test-clients.sh
scripts/test-browser.sh
