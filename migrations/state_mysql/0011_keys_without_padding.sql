-- Keys compare as their bytes, trailing spaces included. `utf8mb4_bin`
-- is a PAD SPACE collation on MariaDB (and on MySQL before 8.0): `k` and
-- `k ` were one key, so two tickets (or label values, answer ids, teams)
-- that differ only by trailing spaces shared one row. MariaDB's
-- `utf8mb4_nopad_bin` and MySQL 8's `utf8mb4_0900_bin` compare bytes
-- without padding; a MySQL without either keeps `utf8mb4_bin`.
SET @sm_nopad = CASE
    WHEN VERSION() LIKE '%MariaDB%' THEN 'utf8mb4_nopad_bin'
    WHEN CAST(SUBSTRING_INDEX(VERSION(), '.', 1) AS UNSIGNED) >= 8 THEN 'utf8mb4_0900_bin'
    ELSE 'utf8mb4_bin'
END;
SET @sm_alter = ' CONVERT TO CHARACTER SET utf8mb4 COLLATE ';

SET @sm_sql = CONCAT('ALTER TABLE ticket_state', @sm_alter, @sm_nopad); PREPARE sm FROM @sm_sql; EXECUTE sm;
SET @sm_sql = CONCAT('ALTER TABLE recent_answer', @sm_alter, @sm_nopad); PREPARE sm FROM @sm_sql; EXECUTE sm;
SET @sm_sql = CONCAT('ALTER TABLE counter_series', @sm_alter, @sm_nopad); PREPARE sm FROM @sm_sql; EXECUTE sm;
SET @sm_sql = CONCAT('ALTER TABLE histogram_series', @sm_alter, @sm_nopad); PREPARE sm FROM @sm_sql; EXECUTE sm;
SET @sm_sql = CONCAT('ALTER TABLE kpi_gauge', @sm_alter, @sm_nopad); PREPARE sm FROM @sm_sql; EXECUTE sm;
SET @sm_sql = CONCAT('ALTER TABLE label_value', @sm_alter, @sm_nopad); PREPARE sm FROM @sm_sql; EXECUTE sm;
SET @sm_sql = CONCAT('ALTER TABLE digest_log', @sm_alter, @sm_nopad); PREPARE sm FROM @sm_sql; EXECUTE sm;
DEALLOCATE PREPARE sm;
