-- E-mail digests (issue 9, item 5): per user, where and when a digest of
-- new entries is mailed, how far it got, and a small log of what was sent.

-- One row per user who set a digest up.
-- * frequency/hour/weekday: when it is due (weekday 0 = Monday), in
--   `timezone` (an IANA name; NULL: the `[mail] timezone` setting);
-- * categories: JSON list of category paths ("" = uncategorized), NULL = all;
-- * cursor_created_at/cursor_entry_id: the last entry mailed or passed over,
--   in (created_at, id) order: the next digest takes entries after it, so an
--   entry is never mailed twice and none is skipped;
-- * last_sent_at: the last run that succeeded (sent, or found nothing new);
-- * failures/next_attempt_at/last_error: retry with backoff after a failure;
-- * claimed_until: a process sending this digest now (several processes on
--   one database send each digest once).
CREATE TABLE mail_digests (
    user_id           INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    address           TEXT NOT NULL CHECK (address <> ''),
    frequency         TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    hour              INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    weekday           INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    timezone          TEXT,
    categories        TEXT,
    enabled           INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    last_sent_at      TEXT,
    cursor_created_at TEXT NOT NULL,
    cursor_entry_id   INTEGER NOT NULL DEFAULT 0,
    failures          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   TEXT,
    last_error        TEXT,
    claimed_until     TEXT
);

-- What each run did, newest kept (the store keeps the last 100 per user).
CREATE TABLE mail_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at       TEXT NOT NULL,
    entries  INTEGER NOT NULL,
    result   TEXT NOT NULL CHECK (result IN ('sent', 'empty', 'failed')),
    detail   TEXT
);
CREATE INDEX mail_log_user ON mail_log(user_id, id);
-- The digest's scan: a feed's entries in the order they were stored.
CREATE INDEX entries_feed_created ON entries(feed_id, created_at, id);
