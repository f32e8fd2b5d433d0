-- support_engagement_responses for a helpdesk without employee surveys
-- (MySQL/MariaDB): no rows. Point source.relations.engagement (or
-- source.queries.engagement) at yours.
SELECT CAST(NULL AS CHAR) AS id,
       CAST(NULL AS CHAR) AS employee_id,
       CAST(NULL AS CHAR) AS team,
       CAST(NULL AS DATETIME) AS responded_at,
       CAST(NULL AS CHAR) AS question,
       CAST(NULL AS SIGNED) AS score
  FROM DUAL
 WHERE FALSE
