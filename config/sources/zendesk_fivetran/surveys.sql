-- support_survey_responses from Zendesk as synced by Fivetran (PostgreSQL):
-- Zendesk's (legacy) CSAT, read from ticket_field_history.  Each change of
-- the ticket's satisfaction_score to good or bad is a csat response at that
-- instant: good -> 5, bad -> 1 (the API filter names good_with_comment /
-- bad_with_comment are accepted too).  offered and unoffered (survey sent /
-- not sent) are not responses and are skipped.  The comment is the
-- satisfaction_comment the customer left with that rating (the last one set
-- from the rating until the ticket's next satisfaction_score change).
-- What is lost: Zendesk's scale is binary, so only "satisfied" (4-5) vs not
-- is meaningful -- the contract's CSAT ratio equals Zendesk's satisfaction
-- score (good / (good + bad)); a mean score is not.  The offered count
-- (response rate) and the reason code (satisfaction_reason_code) are not
-- carried.  A customer who changes a rating yields two responses (Zendesk
-- keeps only the latest).  Zendesk's newer CSAT (survey responses, 1-5 scale,
-- 2024+) is not in these tables.
-- id: same scheme as events.sql, code 3:
--   (epoch seconds - 946684800) << 32 | 2^31 | (ticket_id mod 2^27) << 4 | 3
SELECT ((CAST(floor(extract(epoch FROM s.updated)) AS bigint) - 946684800) << 32)
         | 2147483648 | ((s.ticket_id & 134217727) << 4) | 3 AS id,
       s.ticket_id AS ticket_id,
       s.updated AS responded_at,
       'csat' AS kind,
       CASE WHEN lower(s.value) LIKE 'good%' THEN 5 ELSE 1 END AS score,
       (SELECT NULLIF(c.value, '')
          FROM ticket_field_history c
         WHERE c.ticket_id = s.ticket_id
           AND c.field_name = 'satisfaction_comment'
           AND c.updated >= s.updated
           AND c.updated < COALESCE((SELECT min(n.updated)
                                       FROM ticket_field_history n
                                      WHERE n.ticket_id = s.ticket_id
                                        AND n.field_name = 'satisfaction_score'
                                        AND n.updated > s.updated), 'infinity')
         ORDER BY c.updated DESC
         LIMIT 1) AS comment
  FROM ticket_field_history s
 WHERE s.field_name = 'satisfaction_score'
   AND lower(s.value) IN ('good', 'bad', 'good_with_comment', 'bad_with_comment')
