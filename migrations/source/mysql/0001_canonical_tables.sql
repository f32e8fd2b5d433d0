-- The canonical source relations of DESIGN.md §2, for a helpdesk that has
-- none. DATETIME(6) columns hold UTC.
CREATE TABLE IF NOT EXISTS support_tickets (
    id           VARCHAR(64) PRIMARY KEY,
    created_at   DATETIME(6) NOT NULL,
    channel      VARCHAR(64) NOT NULL,
    priority     VARCHAR(16),
    category     VARCHAR(255),
    requester_id VARCHAR(255) NOT NULL,
    created_by   VARCHAR(16) NOT NULL DEFAULT 'customer',
    status       VARCHAR(16) NOT NULL,
    updated_at   DATETIME(6) NOT NULL,
    INDEX support_tickets_updated_at (updated_at)
);

CREATE TABLE IF NOT EXISTS support_ticket_events (
    id          BIGINT PRIMARY KEY,
    ticket_id   VARCHAR(64) NOT NULL,
    occurred_at DATETIME(6) NOT NULL,
    kind        VARCHAR(16) NOT NULL,
    actor       VARCHAR(16) NOT NULL,
    actor_id    VARCHAR(255),
    team        VARCHAR(255),
    agent_id    VARCHAR(255),
    status      VARCHAR(16),
    INDEX support_ticket_events_ticket (ticket_id)
);

CREATE TABLE IF NOT EXISTS support_survey_responses (
    id           VARCHAR(64) PRIMARY KEY,
    ticket_id    VARCHAR(64),
    responded_at DATETIME(6) NOT NULL,
    kind         VARCHAR(16) NOT NULL,
    score        INT NOT NULL,
    comment      TEXT,
    INDEX support_survey_responses_responded_at (responded_at)
);

CREATE TABLE IF NOT EXISTS support_engagement_responses (
    id           VARCHAR(64) PRIMARY KEY,
    employee_id  VARCHAR(255) NOT NULL,
    team         VARCHAR(255) NOT NULL,
    responded_at DATETIME(6) NOT NULL,
    question     VARCHAR(64) NOT NULL,
    score        INT NOT NULL
);
