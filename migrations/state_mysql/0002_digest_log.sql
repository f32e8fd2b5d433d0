-- See migrations/state/0002_digest_log.sql.
CREATE TABLE digest_log (
    week VARCHAR(16) NOT NULL,
    scope VARCHAR(255) NOT NULL,
    recipient VARCHAR(320) NOT NULL,
    status VARCHAR(16) NOT NULL,
    owner VARCHAR(255) NOT NULL,
    claimed_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    message_id TEXT,
    sent_at BIGINT,
    last_error TEXT,
    PRIMARY KEY (week, scope, recipient)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
