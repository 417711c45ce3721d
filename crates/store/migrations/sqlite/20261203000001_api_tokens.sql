-- API passwords (app passwords) for the reader APIs: Google Reader
-- ClientLogin, Fever's api_key, Miniflux's X-Auth-Token and HTTP Basic.
-- The secret itself is never stored: its SHA-256 finds it for
-- X-Auth-Token/Basic/ClientLogin, and Fever's key md5("user:secret") —
-- which Fever clients compute themselves — finds it for Fever.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    description   TEXT NOT NULL CHECK (description <> ''),
    secret_hash   TEXT NOT NULL UNIQUE,
    fever_key     TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- Sessions that a token opened (Google Reader's Auth= tokens) end with it.
-- UI sessions have no token and are never accepted as API sessions, nor
-- the other way round.
ALTER TABLE sessions ADD COLUMN api_token_id INTEGER REFERENCES api_tokens(id) ON DELETE CASCADE;
CREATE INDEX sessions_api_token ON sessions(api_token_id);
