-- The support staff (optional; DESIGN.md §2), for turnover and tenure:
-- an agent's id as the events use it, home team, first and last working
-- days (left_on null while employed).
CREATE TABLE IF NOT EXISTS support_agents (
    agent_id   VARCHAR(255) PRIMARY KEY,
    team       VARCHAR(255) NOT NULL,
    started_on DATE NOT NULL,
    left_on    DATE NULL
);
