-- The kpi job reads the last 28 days of arrivals (the hour-of-week heatmap).
CREATE INDEX IF NOT EXISTS ticket_state_created ON ticket_state (created_at);
