#!/usr/bin/env bash
# Copy seed inputs from the shared test corpus into fuzz/corpus/<target>/.
#
#   fuzz/seed.sh [CORPUS_DIR]     (default: ../shared/corpus next to the repository)
#
# Small files only (< 256 KB); names are prefixed with their origin so that a
# seed can be traced back. fuzz/corpus/ is not committed (see fuzz/.gitignore):
# libFuzzer adds the inputs it finds interesting to these directories.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="${1:-$here/../../shared/corpus}"
src="$(cd "$src" && pwd)"
out="$here/corpus"
max_bytes=$((256 * 1024))

# copy TARGET FILE...: files under the size limit into corpus/TARGET/.
copy() {
    local target="$1"
    shift
    mkdir -p "$out/$target"
    local f name
    for f in "$@"; do
        [ -f "$f" ] || continue
        [ "$(stat -c %s "$f")" -lt "$max_bytes" ] || continue
        name="${f#"$src"/}"
        cp "$f" "$out/$target/${name//\//__}"
    done
}

# Feeds: feedparser's documents (well-formed, ill-formed, encodings,
# entities) and the real-world captures (not the expected outputs).
mapfile -t xml < <(find "$src/feedparser" "$src/realworld" -type f \
    \( -name '*.xml' -o -name '*.rss' -o -name '*.atom' -o -name '*.rdf' \) \
    -not -path '*/expected-fragments/*' | sort)
copy parse_xml "${xml[@]}"

# JSON Feeds (not feed-rs's *.serde.json models of the XML feeds).
mapfile -t json < <(find "$src" -type f -name '*.json' -not -name '*.serde.json' | sort)
copy parse_json "${json[@]}"

# Pages for discovery: the real-world HTML pages, and feeds that are HTML pages.
mapfile -t html < <(find "$src" -type f -name '*.html' | sort)
copy discover "${html[@]}" \
    "$src/realworld/feedjira/feedzirra-2009/JoomlapoweredSite.xml" \
    "$src/realworld/feedjira/feedzirra-2009/SFRubyorgHome.xml" \
    "$src/realworld/feedjira/feedzirra-2009/scRUBYt.xml" \
    "$src/realworld/feedjira/feedzirra-2009/titleunknown.xml"
# A page URL on the first line (the discover target reads it as the base).
printf '%s\n%s\n' 'https://example.org/a/b/' \
    '<html><head><base href="../c/"><link rel="Alternate Feed" type="application/RSS+xml; charset=utf-8" title=" T " href=" feed.xml "><link rel=alternate type=application/json href=/wp-json/x></head></html>' \
    >"$out/discover/synthetic__base_and_first_line_url.html"

# OPML subscription lists.
mapfile -t opml < <(find "$src" -type f -name '*.opml' | sort)
copy opml "${opml[@]}"
cat >"$out/opml/synthetic__nested_categories.opml" <<'OPML'
<?xml version="1.0" encoding="ISO-8859-1"?>
<opml version="2.0"><head><title>subs</title></head><body>
<outline text="Tech"><outline text="News">
<outline text="A &amp; B" type="rss" xmlUrl="http://a.example/feed?x=1&y=2" htmlUrl="http://a.example/"/>
</outline></outline>
<outline title=" B " text="b" XMLURL=" http://b.example/rss " category="/Tech/News,/Other"/>
<outline type="atom" text="C" url="http://c.example/atom"/>
<outline text="&eacute;t&eacute; &#233;"/>
</body></opml>
OPML

# HTML fragments for the sanitizer: feedjira's expected content fragments,
# the HTML pages, and feedparser's sanitizer and relative-URI documents.
mapfile -t frag < <(find "$src/realworld/feedjira/expected-fragments" -type f | sort)
mapfile -t fpsan < <(find "$src/feedparser" -type f \
    \( -path '*sanitize*' -o -path '*relative_uri*' \) | sort)
copy sanitize "${frag[@]}" "${html[@]}" "${fpsan[@]}"

for t in parse_xml parse_json discover opml sanitize; do
    printf '%-11s %5d files\n' "$t" "$(find "$out/$t" -type f | wc -l)"
done
