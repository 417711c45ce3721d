-- The reader APIs on PostgreSQL.
--
-- A feed's newest stored entry (Google Reader's unread-count, Fever's
-- `last_refreshed_on_time` neighbours) is its highest id. SQLite finds it
-- at the end of any index on feed_id, whose entries end with the rowid;
-- PostgreSQL's indexes do not, and without this one its planner walks the
-- primary key backwards until it meets an entry of the feed — through
-- nearly every entry for a feed that has been quiet for a long time.
CREATE INDEX entries_feed_id ON entries(feed_id, id);
