-- An open ticket's time-in-status clocks (DESIGN.md §3): when its current
-- status or team began, and the time in each status before it, so that a
-- paused SLO's active breach (`[[slo]] pause_on`) is judged on the clock
-- that skips the paused statuses. NULL for done tickets.
ALTER TABLE ticket_state ADD COLUMN status_since BIGINT;
ALTER TABLE ticket_state ADD COLUMN status_seconds TEXT;
