-- The state store on MySQL/MariaDB: the tables of migrations/state, with
-- bounded VARCHAR keys (MySQL cannot index TEXT whole) and a binary
-- collation, so label values that differ only in case stay two series.
CREATE TABLE IF NOT EXISTS collect_watermark (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    last_event_id   BIGINT,
    tickets_since   BIGINT,
    responses_since BIGINT,
    bucket_layout   TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS counter_series (
    name   VARCHAR(128) NOT NULL,
    labels VARCHAR(600) NOT NULL,
    value  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (name, labels)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS histogram_series (
    name    VARCHAR(128) NOT NULL,
    labels  VARCHAR(600) NOT NULL,
    buckets TEXT NOT NULL,
    sum     DOUBLE PRECISION NOT NULL,
    count   BIGINT NOT NULL,
    PRIMARY KEY (name, labels)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS ticket_state (
    id                     VARCHAR(191) PRIMARY KEY,
    created_at             BIGINT NOT NULL,
    created_by             VARCHAR(32) NOT NULL,
    priority               VARCHAR(32) NOT NULL,
    channel                VARCHAR(255) NOT NULL,
    team                   VARCHAR(255),
    status                 VARCHAR(32) NOT NULL,
    is_open                SMALLINT NOT NULL,
    first_response_at      BIGINT,
    first_response_seconds DOUBLE PRECISION,
    first_resolution_at    BIGINT,
    INDEX ticket_state_open (is_open),
    INDEX ticket_state_first_response (first_response_at)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS recent_answer (
    relation     VARCHAR(16) NOT NULL,
    id           VARCHAR(191) NOT NULL,
    responded_at BIGINT NOT NULL,
    team         VARCHAR(255),
    question     VARCHAR(255) NOT NULL,
    score        INTEGER NOT NULL,
    PRIMARY KEY (relation, id),
    INDEX recent_answer_time (responded_at)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS label_value (
    dimension VARCHAR(32) NOT NULL,
    value     VARCHAR(255) NOT NULL,
    PRIMARY KEY (dimension, value)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS kpi_gauge (
    name   VARCHAR(128) NOT NULL,
    labels VARCHAR(600) NOT NULL,
    value  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (name, labels)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
