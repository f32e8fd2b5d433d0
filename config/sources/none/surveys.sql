-- support_survey_responses for a helpdesk without surveys (PostgreSQL): no rows. Point
-- source.relations.surveys (or source.queries.surveys) at your survey
-- tool's table.
SELECT CAST(NULL AS text) AS id,
       CAST(NULL AS text) AS ticket_id,
       CAST(NULL AS timestamp) AS responded_at,
       CAST(NULL AS text) AS kind,
       CAST(NULL AS integer) AS score,
       CAST(NULL AS text) AS comment
 WHERE false
