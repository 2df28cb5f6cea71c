-- Sessions that sign-out ends, sign-in lockouts per (user name, address), and rate-limit counters every gunicorn
-- worker shares (issue 12).

-- session_epoch: part of the id kept in the session cookie; sign-out and disable-user raise it, so every cookie
-- issued before no longer loads the user.
ALTER TABLE county_user ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;

-- Wrong passwords per typed user name (existing or not) and client address; times are Unix seconds.
CREATE TABLE sign_in_failure (
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    failures BIGINT NOT NULL DEFAULT 0,
    locked_until DOUBLE PRECISION,
    updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (username, address)
);

-- Fixed-window counters of Flask-Limiter's database storage (hub/ratelimit.py); expires_at in Unix seconds.
CREATE TABLE rate_limit_counter (
    bucket TEXT PRIMARY KEY,
    hits BIGINT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX rate_limit_counter_expires ON rate_limit_counter (expires_at);
