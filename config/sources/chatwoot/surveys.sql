-- support_survey_responses from Chatwoot (PostgreSQL): its CSAT ratings
-- (1-5) with the customer's feedback.
SELECT s.id AS id,
       s.conversation_id AS ticket_id,
       s.created_at AS responded_at,
       'csat' AS kind,
       s.rating AS score,
       s.feedback_message AS comment
  FROM csat_survey_responses s
