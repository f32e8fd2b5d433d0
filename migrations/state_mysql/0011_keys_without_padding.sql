-- Keys compare as their bytes, trailing spaces included. `utf8mb4_bin`
-- is a PAD SPACE collation (on MariaDB and MySQL alike): `k` and `k `
-- were one key, so two tickets (or label values, answer ids, teams) that
-- differ only by trailing spaces shared one row. MariaDB's
-- `utf8mb4_nopad_bin` and MySQL's `utf8mb4_0900_bin` (8.0.17 on) compare
-- bytes without padding; a server with neither is left as it is (no
-- table is rebuilt for nothing). The stored layout's `keys:nopad` has a
-- store counted again once, which rebuilds any row two tickets shared.
SET @sm_nopad = COALESCE(
    (SELECT MIN(COLLATION_NAME) FROM INFORMATION_SCHEMA.COLLATIONS WHERE COLLATION_NAME = 'utf8mb4_nopad_bin'),
    (SELECT MIN(COLLATION_NAME) FROM INFORMATION_SCHEMA.COLLATIONS WHERE COLLATION_NAME = 'utf8mb4_0900_bin')
);
SET @sm_alter = ' CONVERT TO CHARACTER SET utf8mb4 COLLATE ';

SET @sm_sql = IF(@sm_nopad IS NULL, 'DO 0', CONCAT('ALTER TABLE ticket_state', @sm_alter, @sm_nopad)); PREPARE sm FROM @sm_sql; EXECUTE sm;
SET @sm_sql = IF(@sm_nopad IS NULL, 'DO 0', CONCAT('ALTER TABLE recent_answer', @sm_alter, @sm_nopad)); PREPARE sm FROM @sm_sql; EXECUTE sm;
SET @sm_sql = IF(@sm_nopad IS NULL, 'DO 0', CONCAT('ALTER TABLE counter_series', @sm_alter, @sm_nopad)); PREPARE sm FROM @sm_sql; EXECUTE sm;
SET @sm_sql = IF(@sm_nopad IS NULL, 'DO 0', CONCAT('ALTER TABLE histogram_series', @sm_alter, @sm_nopad)); PREPARE sm FROM @sm_sql; EXECUTE sm;
SET @sm_sql = IF(@sm_nopad IS NULL, 'DO 0', CONCAT('ALTER TABLE kpi_gauge', @sm_alter, @sm_nopad)); PREPARE sm FROM @sm_sql; EXECUTE sm;
SET @sm_sql = IF(@sm_nopad IS NULL, 'DO 0', CONCAT('ALTER TABLE label_value', @sm_alter, @sm_nopad)); PREPARE sm FROM @sm_sql; EXECUTE sm;
SET @sm_sql = IF(@sm_nopad IS NULL, 'DO 0', CONCAT('ALTER TABLE digest_log', @sm_alter, @sm_nopad)); PREPARE sm FROM @sm_sql; EXECUTE sm;
DEALLOCATE PREPARE sm;
