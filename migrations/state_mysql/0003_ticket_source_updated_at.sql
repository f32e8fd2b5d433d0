-- The source row's updated_at when the ticket was last walked: a ticket
-- re-read within source.late_arrival whose row has not changed since, and
-- with no new events or answers, is not walked again.
ALTER TABLE ticket_state ADD COLUMN source_updated_at BIGINT;
