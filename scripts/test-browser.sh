#!/usr/bin/env bash
# The browser tests: Debian's chromium driven by playwright-core against
# `tributary serve` on loopback (tests/browser/scenario.mjs). Installs what
# they need first (scripts/browser-deps.sh), builds the server (debug), runs
# the scenario. Screenshots of every step land in target/browser-artifacts/.
#
#   scripts/test-browser.sh [--update-screenshots]
#
# --update-screenshots also copies the river, an entry, the subscriptions
# page and the phone layout to docs/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/browser-deps.sh

printf '\n== cargo build -p tributary (for the browser tests)\n'
cargo build --locked -p tributary

target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac

printf '\n== browser tests (tests/browser/scenario.mjs)\n'
TRIBUTARY_BIN="$target_dir/debug/tributary" ARTIFACTS="$target_dir/browser-artifacts" \
    node tests/browser/scenario.mjs "$@"
