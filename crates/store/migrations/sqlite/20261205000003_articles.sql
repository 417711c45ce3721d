-- Full article content for excerpt-only feeds (issue 9, docs/ARTICLES.md).
--
-- subscriptions.full_content: the user's choice for this feed, 'off', 'on'
-- or 'auto' (fetch when the entry looks truncated); NULL follows the
-- server's [articles] default. Per subscription, not per feed: feeds are
-- shared, and one reader's wish for full text is not another's.
ALTER TABLE subscriptions ADD COLUMN full_content TEXT CHECK (full_content IN ('off', 'on', 'auto'));

-- Per-site extraction rules (admin-managed): for a host, the CSS selector
-- of the article and selectors of elements to drop (one per line).
CREATE TABLE article_sites (
    host              TEXT NOT NULL PRIMARY KEY CHECK (host <> ''),
    content_selector  TEXT NOT NULL CHECK (content_selector <> ''),
    remove_selectors  TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL
);

-- The extracted article of an entry, beside the feed's own content.
-- status: 'ok' (content_html holds the sanitized article), 'failed' (the
-- last attempt failed: last_error, retried at next_attempt_at with
-- backoff), 'skipped' (auto mode judged the entry complete).
CREATE TABLE entry_articles (
    entry_id         INTEGER NOT NULL PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
    status           TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'skipped')),
    url              TEXT,
    content_html     TEXT,
    fetched_at       TEXT,
    attempted_at     TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    last_error       TEXT,
    last_error_code  TEXT
);
CREATE INDEX entry_articles_retry ON entry_articles(status, next_attempt_at);
