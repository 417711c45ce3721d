-- Read entries per subscription, kept by triggers, so a user's unread
-- counts (the river's sidebar, on every page) are one subtraction per
-- subscription — `feeds.entry_count - subscriptions.read_count` — instead
-- of a count over the user's read states per feed on every request.
--
-- entry_states.feed_id never changes (entries never move between feeds),
-- and FK cascades (an entry deleted, a user removed) fire the delete trigger.
-- Unsubscribing deletes the user's states of the feed, so a new
-- subscription starts at 0 (the column's default).

ALTER TABLE subscriptions ADD COLUMN read_count INTEGER NOT NULL DEFAULT 0;

UPDATE subscriptions SET read_count = (
    SELECT count(*) FROM entry_states st
     WHERE st.user_id = subscriptions.user_id
       AND st.feed_id = subscriptions.feed_id
       AND st.read = 1);


CREATE TRIGGER entry_states_read_count_insert AFTER INSERT ON entry_states
WHEN NEW.read = 1
BEGIN
    UPDATE subscriptions SET read_count = read_count + 1
     WHERE user_id = NEW.user_id AND feed_id = NEW.feed_id;
END;

CREATE TRIGGER entry_states_read_count_update AFTER UPDATE OF read ON entry_states
WHEN NEW.read <> OLD.read
BEGIN
    UPDATE subscriptions SET read_count = read_count + (CASE WHEN NEW.read = 1 THEN 1 ELSE -1 END)
     WHERE user_id = NEW.user_id AND feed_id = NEW.feed_id;
END;

CREATE TRIGGER entry_states_read_count_delete AFTER DELETE ON entry_states
WHEN OLD.read = 1
BEGIN
    UPDATE subscriptions SET read_count = read_count - 1
     WHERE user_id = OLD.user_id AND feed_id = OLD.feed_id;
END;
