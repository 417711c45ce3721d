-- WebSub subscriptions: at most one per feed, to one hub.
--
-- `state` is the subscription's life (pending until a hub first verifies it);
-- `pending_mode` is the request sent to the hub and not yet verified or
-- denied (a renewal keeps `state` active while it is pending).
-- `callback_token` is the unguessable last segment of the callback URL; it and
-- `secret` (the HMAC key of signed content distribution) are secrets.
CREATE TABLE websub_subscriptions (
    feed_id         INTEGER PRIMARY KEY REFERENCES feeds(id) ON DELETE CASCADE,
    hub_url         TEXT NOT NULL CHECK (hub_url <> ''),
    topic_url       TEXT NOT NULL CHECK (topic_url <> ''),
    callback_token  TEXT NOT NULL UNIQUE CHECK (length(callback_token) >= 32),
    secret          TEXT NOT NULL CHECK (secret <> ''),
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'active', 'denied', 'unsubscribed')),
    pending_mode    TEXT CHECK (pending_mode IN ('subscribe', 'unsubscribe')),
    lease_seconds   INTEGER CHECK (lease_seconds > 0),
    expires_at      TEXT,
    requested_at    TEXT NOT NULL,
    verified_at     TEXT,
    last_push_at    TEXT,
    last_error      TEXT
);
CREATE INDEX websub_subscriptions_renewal ON websub_subscriptions(state, expires_at);
