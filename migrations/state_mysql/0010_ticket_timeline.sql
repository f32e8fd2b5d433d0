-- Each ticket's walked timeline (src/state/timeline.rs), with the time of
-- its last event: what `report --from-state` reads a period from instead
-- of the source. Pruned with the facts (state.facts_retention).
ALTER TABLE ticket_state ADD COLUMN last_event_at BIGINT;
ALTER TABLE ticket_state ADD COLUMN timeline LONGBLOB;
