-- support_engagement_responses for a helpdesk without employee surveys
-- (PostgreSQL): no rows. Point source.relations.engagement (or
-- source.queries.engagement) at yours.
SELECT CAST(NULL AS text) AS id,
       CAST(NULL AS text) AS employee_id,
       CAST(NULL AS text) AS team,
       CAST(NULL AS timestamp) AS responded_at,
       CAST(NULL AS text) AS question,
       CAST(NULL AS integer) AS score
 WHERE false
