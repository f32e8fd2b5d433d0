-- Event ids below the watermark not read yet (a transaction that took its
-- id before a later one committed), with when each range was first missed:
-- read again until they arrive or source.late_arrival passes.
-- `lo:hi@since_micros`, comma-separated (state::pending).
ALTER TABLE collect_watermark ADD COLUMN pending_event_ids TEXT;
