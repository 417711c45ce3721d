-- Webhooks (issue 9): per user, new entries POSTed in signed batches to a URL.
--
-- `cursor_entry_id` is the highest entry id already delivered or passed
-- over: each pass sends entries above it, in id order, and moves it only
-- after the receiver answered 2xx (or when nothing it would send lies
-- below the new value). The batch on its way (`pending_*`) is kept with its
-- exact body and delivery id, so every retry (also after a restart) sends
-- the very same bytes. `secret` is the HMAC key; `lease_*` is the claim of
-- the process delivering now (transient, not copied by migrate-db).
CREATE TABLE webhooks (
    id                     INTEGER PRIMARY KEY,
    user_id                INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    url                    TEXT NOT NULL CHECK (url <> ''),
    secret                 TEXT NOT NULL CHECK (length(secret) >= 32),
    enabled                INTEGER NOT NULL DEFAULT 1,
    category               TEXT,
    created_at             TEXT NOT NULL,
    cursor_entry_id        INTEGER NOT NULL DEFAULT 0,
    pending_delivery_id    TEXT,
    pending_body           TEXT,
    pending_last_entry_id  INTEGER,
    pending_entries        INTEGER,
    attempts               INTEGER NOT NULL DEFAULT 0,
    next_attempt_at        TEXT,
    last_success_at        TEXT,
    failing_since          TEXT,
    last_error             TEXT,
    lease_owner            TEXT,
    lease_until            TEXT
);
CREATE INDEX webhooks_user ON webhooks(user_id);

-- Every delivery attempt (and test ping), kept bounded per webhook.
CREATE TABLE webhook_deliveries (
    id           INTEGER PRIMARY KEY,
    webhook_id   INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    delivery_id  TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('entries', 'ping')),
    entries      INTEGER NOT NULL,
    attempt      INTEGER NOT NULL,
    status       INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, id);
