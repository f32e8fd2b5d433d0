-- support_survey_responses from Znuny -- OPTIONAL: Znuny core stores no CSAT; this
-- reads the free Znuny "Survey" add-on (github.com/znuny/Survey: survey_request one per
-- ticket invitation, survey_vote one per answered question, survey_question,
-- survey_answer). Use it only where that package is installed. MariaDB/MySQL and
-- PostgreSQL (one text for both).
-- * 'nps': every vote on a question of the add-on's own type NPS. As for Radio and
--   Checkbox, the vote stores the chosen survey_answer id (PublicSurvey.pm ->
--   PublicAnswerSet; AnswerGet(AnswerID => VoteValue) when shown); the score is that
--   answer's text, which must be a number 0-10 (anything else gives a NULL score:
--   rejected and counted by the reader, never used).
-- * 'csat': the add-on has no CSAT type. By convention a Radio question whose
--   answers are exactly the digits 1..5 (any subset, as texts '1'..'5') is a 1-5
--   satisfaction rating; the score is the chosen answer's digit. Other Radio,
--   Checkbox, YesNo questions are not read.
-- * comment: the request's Textarea answer (rich-text answers keep their HTML; the
--   '$html/text$ ' marker PublicSurvey.pm prepends is removed).
-- * responded_at: survey_request.vote_time (set when the customer submitted), else
--   the vote's create_time; both in OTRSTimeZone (default UTC), see tickets.sql.
-- * id: survey_vote.id (one response per scored question).
SELECT v.id AS id,
       r.ticket_id AS ticket_id,
       COALESCE(r.vote_time, v.create_time) AS responded_at,
       CASE WHEN q.question_type = 'NPS' THEN 'nps' ELSE 'csat' END AS kind,
       CASE TRIM(an.answer)
         WHEN '0' THEN 0 WHEN '1' THEN 1 WHEN '2' THEN 2 WHEN '3' THEN 3
         WHEN '4' THEN 4 WHEN '5' THEN 5 WHEN '6' THEN 6 WHEN '7' THEN 7
         WHEN '8' THEN 8 WHEN '9' THEN 9 WHEN '10' THEN 10
       END AS score,
       NULLIF(REPLACE((SELECT MIN(c.vote_value)
                         FROM survey_vote c
                         JOIN survey_question cq ON cq.id = c.question_id
                                                AND cq.question_type = 'Textarea'
                        WHERE c.request_id = v.request_id), '$html/text$ ', ''), '') AS comment
  FROM survey_vote v
  JOIN survey_request r ON r.id = v.request_id
  JOIN survey_question q ON q.id = v.question_id
  JOIN survey_answer an ON an.question_id = v.question_id
                       AND CONCAT('', an.id) = v.vote_value
 WHERE q.question_type = 'NPS'
    OR (q.question_type = 'Radio'
        AND NOT EXISTS (SELECT 1
                          FROM survey_answer o
                         WHERE o.question_id = q.id
                           AND TRIM(o.answer) NOT IN ('1', '2', '3', '4', '5')))
