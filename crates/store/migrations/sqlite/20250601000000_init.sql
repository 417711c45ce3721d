-- Tributary schema, SQLite flavour.
--
-- Timestamps are ISO-8601 UTC text with a fixed width
-- (`2024-05-01T12:00:00.000000Z`), so text order is time order.
-- Booleans are INTEGER 0/1. Lists (enclosures, categories) are JSON text.

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    username    TEXT NOT NULL UNIQUE CHECK (username <> ''),
    created_at  TEXT NOT NULL
);

-- Nested folders of one user; the path ("Net/Vendors") is built by walking parents.
CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    parent_id   INTEGER REFERENCES categories(id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (name <> ''),
    created_at  TEXT NOT NULL
);
-- NULLs are distinct in a UNIQUE constraint, so top-level names need the
-- COALESCE to be unique too.
CREATE UNIQUE INDEX categories_user_parent_name
    ON categories(user_id, COALESCE(parent_id, 0), name);
CREATE INDEX categories_parent ON categories(parent_id);

-- A feed is stored once per URL and shared by every subscriber.
CREATE TABLE feeds (
    id               INTEGER PRIMARY KEY,
    url              TEXT NOT NULL UNIQUE CHECK (url <> ''),
    title            TEXT,
    site_url         TEXT,
    description      TEXT,
    language         TEXT,
    image_url        TEXT,
    status           TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'error', 'disabled')),
    last_error       TEXT,
    last_error_code  TEXT,
    error_count      INTEGER NOT NULL DEFAULT 0,
    etag             TEXT,
    last_modified    TEXT,
    last_fetched_at  TEXT,
    -- NULL: never fetched, due now.
    next_fetch_at    TEXT,
    created_at       TEXT NOT NULL
);
CREATE INDEX feeds_next_fetch ON feeds(next_fetch_at);

-- URLs a feed had before a permanent move; a lookup by any of them finds the feed.
CREATE TABLE feed_previous_urls (
    id        INTEGER PRIMARY KEY,
    feed_id   INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    url       TEXT NOT NULL UNIQUE,
    moved_at  TEXT NOT NULL
);
CREATE INDEX feed_previous_urls_feed ON feed_previous_urls(feed_id);

CREATE TABLE subscriptions (
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    feed_id         INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    title_override  TEXT,
    category_id     INTEGER REFERENCES categories(id) ON DELETE SET NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (user_id, feed_id)
);
CREATE INDEX subscriptions_feed ON subscriptions(feed_id);

CREATE TABLE entries (
    id                   INTEGER PRIMARY KEY,
    feed_id              INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    -- Identity within the feed (`guid:…`, `link:…`, `hash:…`); never empty,
    -- or every keyless entry would collapse into one.
    key                  TEXT NOT NULL CHECK (key <> ''),
    guid                 TEXT,
    url                  TEXT,
    canonical_url        TEXT,
    title                TEXT NOT NULL,
    author               TEXT,
    content_html         TEXT,
    summary_html         TEXT,
    excerpt              TEXT NOT NULL,
    published            TEXT NOT NULL,
    published_from_feed  INTEGER NOT NULL,
    updated              TEXT,
    enclosures           TEXT NOT NULL DEFAULT '[]',
    categories           TEXT NOT NULL DEFAULT '[]',
    content_hash         TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    UNIQUE (feed_id, key)
);
CREATE INDEX entries_feed_canonical ON entries(feed_id, canonical_url);
CREATE INDEX entries_feed_title_published ON entries(feed_id, title, published);
CREATE INDEX entries_published ON entries(published DESC);

-- Deleted entries, so a later fetch does not bring them back. The canonical
-- URL is kept too, so a re-issue under a new guid stays deleted.
CREATE TABLE entry_tombstones (
    feed_id        INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    key            TEXT NOT NULL,
    canonical_url  TEXT,
    deleted_at     TEXT NOT NULL,
    PRIMARY KEY (feed_id, key)
) WITHOUT ROWID;
CREATE INDEX entry_tombstones_canonical ON entry_tombstones(feed_id, canonical_url);

-- Per-user reading state; a missing row means unread and not starred.
CREATE TABLE entry_states (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    entry_id    INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    read        INTEGER NOT NULL DEFAULT 0,
    starred     INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, entry_id)
) WITHOUT ROWID;
CREATE INDEX entry_states_entry ON entry_states(entry_id);
