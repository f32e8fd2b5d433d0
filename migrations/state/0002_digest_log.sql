-- One row per digest message: week, scope (a team or `all`) and recipient.
-- A sender claims the row (status `sending`, owner, claimed_at) before
-- talking to SMTP and marks it `sent` only after the server accepted the
-- message, so restarts, retries and replicas never send it twice.
CREATE TABLE digest_log (
    week TEXT NOT NULL,
    scope TEXT NOT NULL,
    recipient TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    message_id TEXT,
    sent_at BIGINT,
    last_error TEXT,
    PRIMARY KEY (week, scope, recipient)
);
