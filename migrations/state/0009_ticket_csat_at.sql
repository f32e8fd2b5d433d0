-- When the ticket's CSAT answer in the facts was given (unix microseconds):
-- a late, older answer read after a newer one must not replace it.
ALTER TABLE ticket_state ADD COLUMN csat_at BIGINT;
