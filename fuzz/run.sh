#!/usr/bin/env bash
# Run fuzz targets one after another, each for a fixed time, single job.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Defaults: 600 seconds each; discover opml parse_json sanitize parse_xml.
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); on a stable
# toolchain RUSTC_BOOTSTRAP=1 lets it use the nightly-only flags it needs.
# Seed the corpora first with fuzz/seed.sh. Logs go to fuzz/logs/<target>.log.
# Extra libFuzzer flags can be given in FUZZ_FLAGS.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."
secs="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(discover opml parse_json sanitize parse_xml)
mkdir -p "$here/logs"

dict_for() {
    case "$1" in
        discover | sanitize) echo html ;;
        parse_json) echo json ;;
        *) echo xml ;;
    esac
}

for t in "${targets[@]}"; do
    mkdir -p "$here/corpus/$t"
    echo "== $t: ${secs}s ($(date -u +%H:%M:%S) UTC)"
    # shellcheck disable=SC2086
    RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "$here/corpus/$t" -- \
        -dict="$here/dict/$(dict_for "$t").dict" \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=32768 \
        -print_final_stats=1 ${FUZZ_FLAGS:-} >"$here/logs/$t.log" 2>&1
    echo "   exit $? ($(date -u +%H:%M:%S) UTC); $(grep -E '^#[0-9]+' "$here/logs/$t.log" | tail -1)"
done
