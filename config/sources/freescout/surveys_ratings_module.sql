-- support_survey_responses from FreeScout (MySQL / MariaDB and PostgreSQL: the
-- same text runs on both). OPTIONAL: core FreeScout stores no survey answers.
-- The official Satisfaction Ratings module (alias satratings) links "Great /
-- Okay / Not Good" to every agent reply it mails and saves the customer's
-- click on that reply's thread: threads.rating 1 great, 2 okay, 3 not good
-- (SatRatingsServiceProvider RATING_GREAT/OKAY/BAD) and the optional comment
-- in threads.rating_comment (Modules/SatRatings migration
-- 2018_11_10_154000_add_rating_columns_to_threads_table.php;
-- SatRatingsController::record / recordSave). Use this query only where the
-- module is installed; without it the columns do not exist.
-- * score: the three levels on the contract's 1-5 CSAT scale: great 5,
--   okay 3, not good 1 -- so the CSAT ratio (scores 4-5) is the share of
--   "Great" ratings. Approximate: the customer answered a 3-point scale.
-- * responded_at: the module keeps no rating time; the rated thread's
--   updated_at (Eloquent touches it when the rating is saved) stands in. A
--   later save of the same thread (its opened_at, an edit) moves it.
-- * id: the rated thread's id: one answer per reply; a customer who clicks
--   again changes that answer in place.
SELECT t.id AS id,
       t.conversation_id AS ticket_id,
       COALESCE(t.updated_at, t.created_at) AS responded_at,
       'csat' AS kind,
       CASE t.rating WHEN 1 THEN 5 WHEN 2 THEN 3 WHEN 3 THEN 1 END AS score,
       t.rating_comment AS comment
  FROM threads t
  JOIN conversations c ON c.id = t.conversation_id
 WHERE t.rating IN (1, 2, 3)
   AND c.state <> 1
