-- Each ticket's walked timeline (src/state/timeline.rs), with the time of
-- its last event: what `report --from-state` reads a period from instead
-- of the source. Pruned with the facts (state.facts_retention).
ALTER TABLE ticket_state ADD COLUMN last_event_at BIGINT;
ALTER TABLE ticket_state ADD COLUMN timeline LONGBLOB;
-- The latest horizon before which done tickets were left without a
-- timeline (source.backfill_days at the backfill, state.facts_retention
-- since): a period starting earlier cannot be read from the store.
ALTER TABLE collect_watermark ADD COLUMN timelines_from BIGINT;
