-- The rejected source rows already counted in support_rows_rejected_total
-- (rejects::RowKey), so that a row read again is not counted again; each
-- refreshed when seen, forgotten with the answers once unseen for longer
-- than the re-read margin.
CREATE TABLE IF NOT EXISTS rejected_row (
    row_key BIGINT PRIMARY KEY,
    seen_at BIGINT NOT NULL,
    INDEX rejected_row_seen (seen_at)
);
