-- The canonical source relations of DESIGN.md §2, for a helpdesk that has none.
CREATE TABLE IF NOT EXISTS support_tickets (
    id           TEXT PRIMARY KEY,
    created_at   TIMESTAMPTZ NOT NULL,
    channel      TEXT NOT NULL,
    priority     TEXT,
    category     TEXT,
    requester_id TEXT NOT NULL,
    created_by   TEXT NOT NULL DEFAULT 'customer',
    status       TEXT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS support_tickets_updated_at ON support_tickets (updated_at);

CREATE TABLE IF NOT EXISTS support_ticket_events (
    id          BIGINT PRIMARY KEY,
    ticket_id   TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    actor_id    TEXT,
    team        TEXT,
    agent_id    TEXT,
    status      TEXT
);
CREATE INDEX IF NOT EXISTS support_ticket_events_ticket ON support_ticket_events (ticket_id);

CREATE TABLE IF NOT EXISTS support_survey_responses (
    id           TEXT PRIMARY KEY,
    ticket_id    TEXT,
    responded_at TIMESTAMPTZ NOT NULL,
    kind         TEXT NOT NULL,
    score        INTEGER NOT NULL,
    comment      TEXT
);
CREATE INDEX IF NOT EXISTS support_survey_responses_responded_at ON support_survey_responses (responded_at);

CREATE TABLE IF NOT EXISTS support_engagement_responses (
    id           TEXT PRIMARY KEY,
    employee_id  TEXT NOT NULL,
    team         TEXT NOT NULL,
    responded_at TIMESTAMPTZ NOT NULL,
    question     TEXT NOT NULL,
    score        INTEGER NOT NULL
);
