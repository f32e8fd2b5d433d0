-- The exporter's state store (DESIGN.md §4, §7): the watermark and every
-- cumulative series, written in one transaction per collection, plus what
-- incremental collection must remember about tickets and recent answers.
-- Instants are unix microseconds. One file serves SQLite and PostgreSQL.
CREATE TABLE IF NOT EXISTS collect_watermark (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    last_event_id   BIGINT,
    tickets_since   BIGINT,
    responses_since BIGINT,
    bucket_layout   TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS counter_series (
    name   TEXT NOT NULL,
    labels TEXT NOT NULL,
    value  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (name, labels)
);

CREATE TABLE IF NOT EXISTS histogram_series (
    name    TEXT NOT NULL,
    labels  TEXT NOT NULL,
    buckets TEXT NOT NULL,
    sum     DOUBLE PRECISION NOT NULL,
    count   BIGINT NOT NULL,
    PRIMARY KEY (name, labels)
);

-- Every ticket counted so far (its creation is counted once) and what the
-- state gauges need about the open ones.
CREATE TABLE IF NOT EXISTS ticket_state (
    id                     TEXT PRIMARY KEY,
    created_at             BIGINT NOT NULL,
    created_by             TEXT NOT NULL,
    priority               TEXT NOT NULL,
    channel                TEXT NOT NULL,
    team                   TEXT,
    status                 TEXT NOT NULL,
    is_open                SMALLINT NOT NULL,
    first_response_at      BIGINT,
    first_response_seconds DOUBLE PRECISION,
    first_resolution_at    BIGINT
);
CREATE INDEX IF NOT EXISTS ticket_state_open ON ticket_state (is_open);
CREATE INDEX IF NOT EXISTS ticket_state_first_response ON ticket_state (first_response_at);

-- Recent survey and engagement answers: re-read rows are recognised, and the
-- windowed KPIs are computed from here. Pruned beyond the longest window.
CREATE TABLE IF NOT EXISTS recent_answer (
    relation     TEXT NOT NULL,
    id           TEXT NOT NULL,
    responded_at BIGINT NOT NULL,
    team         TEXT,
    question     TEXT NOT NULL,
    score        INTEGER NOT NULL,
    PRIMARY KEY (relation, id)
);
CREATE INDEX IF NOT EXISTS recent_answer_time ON recent_answer (responded_at);

-- Label values admitted under the cardinality caps, first come first kept,
-- so a value never moves between itself and `other`.
CREATE TABLE IF NOT EXISTS label_value (
    dimension TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (dimension, value)
);

-- The last `kpi` job's gauges, so a restart serves them at once.
CREATE TABLE IF NOT EXISTS kpi_gauge (
    name   TEXT NOT NULL,
    labels TEXT NOT NULL,
    value  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (name, labels)
);
