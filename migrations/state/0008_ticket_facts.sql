-- Ticket facts (DESIGN.md §5): one row per ticket for drill-down from
-- Grafana's SQL data sources, kept on the ticket's own row so that one write
-- per ticket keeps facts and counters in the same transaction. The view
-- `support_ticket_facts` is the public face (grant SELECT on it alone): its
-- instants are unix seconds (Grafana's $__unixEpochFilter), deleted and spam
-- tickets are left out, and rows pruned by state.facts_retention
-- (facts_updated_at emptied) disappear from it. requester_hash is a keyed
-- hash (state.requester_salt), never the requester's id.
ALTER TABLE ticket_state ADD COLUMN category TEXT;
ALTER TABLE ticket_state ADD COLUMN agent_id TEXT;
ALTER TABLE ticket_state ADD COLUMN first_response_business_seconds DOUBLE PRECISION;
ALTER TABLE ticket_state ADD COLUMN first_resolution_seconds DOUBLE PRECISION;
ALTER TABLE ticket_state ADD COLUMN first_resolution_business_seconds DOUBLE PRECISION;
ALTER TABLE ticket_state ADD COLUMN solved_at BIGINT;
ALTER TABLE ticket_state ADD COLUMN full_resolution_seconds DOUBLE PRECISION;
ALTER TABLE ticket_state ADD COLUMN requester_wait_seconds DOUBLE PRECISION;
ALTER TABLE ticket_state ADD COLUMN agent_wait_seconds DOUBLE PRECISION;
ALTER TABLE ticket_state ADD COLUMN on_hold_seconds DOUBLE PRECISION;
ALTER TABLE ticket_state ADD COLUMN reopens INTEGER;
ALTER TABLE ticket_state ADD COLUMN reroutes INTEGER;
ALTER TABLE ticket_state ADD COLUMN reassignments INTEGER;
ALTER TABLE ticket_state ADD COLUMN interactions INTEGER;
ALTER TABLE ticket_state ADD COLUMN replies INTEGER;
ALTER TABLE ticket_state ADD COLUMN reply_seconds_total DOUBLE PRECISION;
ALTER TABLE ticket_state ADD COLUMN reply_count INTEGER;
ALTER TABLE ticket_state ADD COLUMN csat_score SMALLINT;
ALTER TABLE ticket_state ADD COLUMN customer_confirmed SMALLINT;
ALTER TABLE ticket_state ADD COLUMN slo_breached TEXT;
ALTER TABLE ticket_state ADD COLUMN facts_updated_at BIGINT;
ALTER TABLE ticket_state ADD COLUMN requester_hash TEXT;
CREATE VIEW support_ticket_facts AS SELECT
    id AS ticket_id,
    created_at / 1000000 AS created_at,
    channel,
    priority,
    category,
    team,
    agent_id,
    status,
    created_by,
    first_response_at / 1000000 AS first_response_at,
    first_response_seconds,
    first_response_business_seconds,
    first_resolution_seconds,
    first_resolution_business_seconds,
    solved_at / 1000000 AS solved_at,
    full_resolution_seconds,
    requester_wait_seconds,
    agent_wait_seconds,
    on_hold_seconds,
    reopens,
    reroutes,
    reassignments,
    interactions,
    replies,
    reply_seconds_total,
    reply_count,
    csat_score,
    customer_confirmed,
    slo_breached,
    requester_hash,
    facts_updated_at / 1000000 AS updated_at
FROM ticket_state
WHERE facts_updated_at IS NOT NULL;
