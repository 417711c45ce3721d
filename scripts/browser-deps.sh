#!/usr/bin/env bash
# Installs what the browser tests need, on a bare Debian machine too:
# Debian's chromium (the browser playwright-core drives; never a downloaded
# browser build) and the Node packages of tests/browser (`npm ci`, from the
# committed package-lock.json). Idempotent: when everything is there already
# it checks and returns in well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
die() { printf 'browser-deps: %s\n' "$*" >&2; exit 1; }

sudo_if_needed() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi
}

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
    say "installing ${need_apt[*]} (apt)"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${need_apt[@]}" \
        || die "apt-get could not install ${need_apt[*]}"
fi
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing after the install"

node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old: playwright-core needs 20 or newer"

# npm ci only when node_modules does not match the lock file (npm writes its
# own copy of the lock to node_modules/.package-lock.json on install).
cd tests/browser
if ! [ -f node_modules/playwright-core/package.json ] \
    || ! cmp -s <(node -p 'JSON.stringify(require("./package-lock.json").packages["node_modules/playwright-core"].version)') \
                <(node -p 'JSON.stringify(require("./node_modules/playwright-core/package.json").version)'); then
    say "npm ci (tests/browser)"
    # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core downloads nothing, but
    # say so anyway; the tests use /usr/bin/chromium.
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error \
        || die "npm ci failed in tests/browser"
fi
