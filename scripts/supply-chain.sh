#!/usr/bin/env bash
# Supply-chain checks (run by scripts/test.sh; docs/SECURITY.md, "Supply chain"):
#  1. every crate of the workspace takes the workspace lints, which forbid
#     `unsafe` code (Cargo.toml: [workspace.lints.rust] unsafe_code = "forbid");
#  2. cargo-deny (pinned, installed from crates.io into target/tools) checks
#     the lock file against deny.toml: licenses, banned and wildcard
#     dependencies, and that every crate comes from crates.io;
#  3. RustSec advisories, when the advisory database can be had (it is
#     fetched from GitHub; machines without that access say so and go on).
set -euo pipefail
cd "$(dirname "$0")/.."

DENY_VERSION=0.20.2
TOOLS=target/tools

missing=()
for toml in crates/*/Cargo.toml; do
    # The [lints] table with workspace = true on the next line.
    if ! grep -A1 '^\[lints\]' "$toml" | grep -q '^workspace = true'; then
        missing+=("$toml")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "supply-chain: these crates do not take the workspace lints (unsafe_code = forbid): ${missing[*]}" >&2
    exit 1
fi
grep -q '^unsafe_code = "forbid"' Cargo.toml || {
    echo 'supply-chain: Cargo.toml lost [workspace.lints.rust] unsafe_code = "forbid"' >&2
    exit 1
}
echo "supply-chain: all $(ls crates/*/Cargo.toml | wc -l) crates forbid unsafe code"

if ! "$TOOLS/bin/cargo-deny" --version 2>/dev/null | grep -q " $DENY_VERSION$"; then
    echo "supply-chain: installing cargo-deny $DENY_VERSION from crates.io into $TOOLS (a few minutes, once)"
    cargo install --quiet --locked --root "$TOOLS" "cargo-deny@$DENY_VERSION"
fi
deny() { "$TOOLS/bin/cargo-deny" "$@"; }

deny --log-level warn check licenses bans sources

db="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
if [ -n "$(ls -A "$db" 2>/dev/null)" ]; then
    deny --log-level warn check --disable-fetch advisories
elif timeout 20 git ls-remote https://github.com/rustsec/advisory-db HEAD >/dev/null 2>&1; then
    deny --log-level warn check advisories
else
    echo "supply-chain: RustSec advisories NOT checked: the advisory database (github.com/rustsec/advisory-db) cannot be reached from this machine; run scripts/supply-chain.sh where it can" >&2
fi
