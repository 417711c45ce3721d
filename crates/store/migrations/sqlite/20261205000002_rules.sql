-- Rules of issue 9: per user, over all feeds, a category (with its
-- sub-categories) or one feed; evaluated on new entries at ingest.
-- `action` is one of the rules crate's names; a tag rule carries its tag.
CREATE TABLE rules (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    feed_id          INTEGER REFERENCES feeds(id) ON DELETE CASCADE,
    category_id      INTEGER REFERENCES categories(id) ON DELETE CASCADE,
    action           TEXT NOT NULL CHECK (action IN ('block', 'keep-only', 'read', 'star', 'tag')),
    tag              TEXT,
    expression       TEXT NOT NULL CHECK (expression <> ''),
    enabled          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    match_count      INTEGER NOT NULL DEFAULT 0,
    last_matched_at  TEXT,
    CHECK (feed_id IS NULL OR category_id IS NULL),
    CHECK ((action = 'tag') = (tag IS NOT NULL))
);
CREATE INDEX rules_user ON rules(user_id, id);
CREATE INDEX rules_feed ON rules(feed_id);
CREATE INDEX rules_category ON rules(category_id);

-- Tags a user's rules gave entries (entries are shared; tags are not).
CREATE TABLE entry_tags (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    entry_id    INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    tag         TEXT NOT NULL CHECK (tag <> ''),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, entry_id, tag)
);
CREATE INDEX entry_tags_tag ON entry_tags(user_id, tag, entry_id);
CREATE INDEX entry_tags_entry ON entry_tags(entry_id);

-- The few hidden entries of a subscription, subtracted from API totals.
CREATE INDEX entry_states_hidden ON entry_states(user_id, feed_id) WHERE hidden = 1;
