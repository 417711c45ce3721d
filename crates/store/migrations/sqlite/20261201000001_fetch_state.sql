-- Fetch state beyond the last outcome: why the next fetch is when it is,
-- how long the feed has been failing, what the feed says about its own
-- schedule, and a fingerprint of the last body (to skip re-parsing a body
-- that did not change on servers that send no validators).

-- Start of the current run of consecutive failures (NULL while healthy).
ALTER TABLE feeds ADD COLUMN failing_since TEXT;
-- Last fetch that got a feed (200 parsed, or 304).
ALTER TABLE feeds ADD COLUMN last_success_at TEXT;
-- Human reason of next_fetch_at ("posts ~daily", "backoff after 3 errors").
ALTER TABLE feeds ADD COLUMN next_fetch_reason TEXT;
-- A remark about the last successful fetch that is not an error
-- ("the feed is larger than 20 MiB; kept its first 312 entries").
ALTER TABLE feeds ADD COLUMN status_note TEXT;
-- ScheduleHints as JSON: ttl, skipHours, skipDays, observed posting interval.
ALTER TABLE feeds ADD COLUMN schedule_hints TEXT NOT NULL DEFAULT '{}';
-- SHA-256 (hex) of the last body that was parsed and stored.
ALTER TABLE feeds ADD COLUMN body_hash TEXT;
-- When the feed was disabled (410 Gone), for the status line.
ALTER TABLE feeds ADD COLUMN disabled_at TEXT;

-- Existing feeds that were fetched fine count as having succeeded then.
UPDATE feeds SET last_success_at = last_fetched_at WHERE status = 'ok' AND last_fetched_at IS NOT NULL;
UPDATE feeds SET failing_since = last_fetched_at WHERE status = 'error';
