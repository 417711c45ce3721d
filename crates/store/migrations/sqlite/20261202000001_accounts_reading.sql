-- Accounts, per-subscription settings, fetch history and full-text search
-- (issue 5: the web).

-- Password hash (PHC string, NULL: no password yet), admin flag, and the
-- unguessable token of the user's private output URLs.
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN output_token TEXT;
-- ALTER TABLE cannot add a UNIQUE column; a unique index does the same.
CREATE UNIQUE INDEX users_output_token ON users(output_token);

-- Login sessions; the id itself is never stored, only its hash.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE INDEX sessions_user ON sessions(user_id);

-- Instance-wide settings (`planet.user`, `planet.title`, …).
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;

-- Per-subscription fetch bounds (seconds) and pause.
ALTER TABLE subscriptions ADD COLUMN min_interval_secs INTEGER CHECK (min_interval_secs > 0);
ALTER TABLE subscriptions ADD COLUMN max_interval_secs INTEGER CHECK (max_interval_secs > 0);
ALTER TABLE subscriptions ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
-- When it was paused: entries stored after that are not shown to the user.
ALTER TABLE subscriptions ADD COLUMN paused_at TEXT;
-- The user's subscriptions by category (category pages, category counts).
CREATE INDEX subscriptions_user_category ON subscriptions(user_id, category_id);

-- When an entry was last marked read (the history view's order), and its
-- feed (copied from the entry, so unread counts are two index-only counts:
-- a feed's entries minus the user's read ones).
ALTER TABLE entry_states ADD COLUMN read_at TEXT;
ALTER TABLE entry_states ADD COLUMN feed_id INTEGER;
UPDATE entry_states SET read_at = updated_at WHERE read = 1;
UPDATE entry_states SET feed_id = (SELECT e.feed_id FROM entries e WHERE e.id = entry_states.entry_id);
CREATE INDEX entry_states_feed_read ON entry_states(user_id, feed_id) WHERE read = 1;
CREATE INDEX entry_states_history ON entry_states(user_id, read_at) WHERE read = 1;
CREATE INDEX entry_states_starred ON entry_states(user_id, entry_id) WHERE starred = 1;

-- The keyset order of entry pages (published, then id, both descending):
-- scanned backwards, these give it without sorting.
DROP INDEX entries_published;
CREATE INDEX entries_published ON entries(published, id);
CREATE INDEX entries_feed_published ON entries(feed_id, published, id);

-- Entries stored per feed, kept by the store (inserts) and a trigger
-- (deletions), so unread counts need not count a feed's entries each time.
ALTER TABLE feeds ADD COLUMN entry_count INTEGER NOT NULL DEFAULT 0;
UPDATE feeds SET entry_count = (SELECT count(*) FROM entries e WHERE e.feed_id = feeds.id);
CREATE TRIGGER entries_count_delete AFTER DELETE ON entries BEGIN
    UPDATE feeds SET entry_count = entry_count - 1 WHERE id = old.feed_id;
END;

-- One row per fetch, kept 31 days, for the feed's chart.
CREATE TABLE fetch_log (
    feed_id  INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    at       TEXT NOT NULL,
    outcome  TEXT NOT NULL CHECK (outcome IN ('new', 'unchanged', 'failed'))
);
CREATE INDEX fetch_log_feed_at ON fetch_log(feed_id, at);
CREATE INDEX fetch_log_at ON fetch_log(at);

-- Full-text index of every entry: rowid = entries.id; body is the content
-- (else summary) as plain text. Rows are written by the store in the same
-- transaction as the entry; deletions (also by cascade) by this trigger.
-- Entries stored before this migration are indexed by the store at open.
CREATE VIRTUAL TABLE entries_fts USING fts5(
    title, author, body,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN
    DELETE FROM entries_fts WHERE rowid = old.id;
END;
