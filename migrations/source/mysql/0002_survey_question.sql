-- The item code of a multi-item survey (DESIGN.md §2): for SERVQUAL
-- answers, the dimension (`reliability`) or one item of it (`reliability.3`).
-- `kind` widens for `servqual_expectation` / `servqual_perception`.
ALTER TABLE support_survey_responses
    ADD COLUMN question VARCHAR(64) NULL,
    MODIFY kind VARCHAR(32) NOT NULL;
