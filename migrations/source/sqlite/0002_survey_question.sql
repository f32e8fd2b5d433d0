-- The item code of a multi-item survey (DESIGN.md §2): for SERVQUAL
-- answers, the dimension (`reliability`) or one item of it (`reliability.3`).
ALTER TABLE support_survey_responses ADD COLUMN question TEXT;
