-- A period read (`report --from-state`, the digest) walks the tickets in
-- id order and keeps those created before its end that are open or had an
-- event since its start: with these columns in one index the rows a week
-- does not need are skipped without reading them (SQLite seeks a row only
-- once the index's columns pass the filter). At 1M tickets one week read
-- 1.25 s before, 0.25 s after.
CREATE INDEX ticket_state_period ON ticket_state (id, created_at, is_open, last_event_at);
