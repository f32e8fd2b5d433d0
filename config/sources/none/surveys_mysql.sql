-- support_survey_responses for a helpdesk without surveys (MySQL/MariaDB):
-- no rows. Point source.relations.surveys (or source.queries.surveys) at
-- your survey tool's table.
SELECT CAST(NULL AS CHAR) AS id,
       CAST(NULL AS CHAR) AS ticket_id,
       CAST(NULL AS DATETIME) AS responded_at,
       CAST(NULL AS CHAR) AS kind,
       CAST(NULL AS SIGNED) AS score,
       CAST(NULL AS CHAR) AS comment
  FROM DUAL
 WHERE FALSE
