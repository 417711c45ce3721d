-- Fetch leases (several fetch processes on one database): the worker
-- fetching a feed now and until when its claim holds; a crashed worker's
-- claim lapses then.
ALTER TABLE feeds ADD COLUMN lease_owner TEXT;
ALTER TABLE feeds ADD COLUMN lease_until TEXT;

-- Per-host fetch tokens shared by every worker: a fetch from a host holds
-- one of its `slot` rows (at most the per-host limit of them exist per
-- host) until its outcome is stored; a crashed worker's token lapses at
-- `until`.
CREATE TABLE host_slots (
    host     TEXT NOT NULL,
    slot     INTEGER NOT NULL,
    feed_id  INTEGER,
    owner    TEXT,
    until    TEXT,
    PRIMARY KEY (host, slot)
) WITHOUT ROWID;
CREATE INDEX host_slots_feed ON host_slots(feed_id);
