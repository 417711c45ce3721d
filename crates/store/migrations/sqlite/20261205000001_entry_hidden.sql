-- Entries a user's rules hid (issue 9: "block" and "keep-only" rules).
-- Entries are shared by every subscriber of a feed, so a rule never deletes
-- one: it hides it from that user. A hidden entry is also marked read, so
-- unread counts (a feed's entries minus the user's read ones) stay exact
-- without looking at this column; listings leave hidden entries out.
ALTER TABLE entry_states ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
