-- support_survey_responses from GLPI 10.0 (MariaDB / MySQL): the ticket
-- satisfaction surveys (glpi_ticketsatisfactions, one per ticket, created
-- when the ticket is closed -- date_begin -- and filled in by its requester
-- -- date_answered).  Only answered surveys are read.
-- * GLPI 10.0 rates 0..5 stars (src/TicketSatisfaction.php: the form offers
--   0..5, displaySatisfaction() clamps to 0..5).  The contract's csat is 1..5,
--   so a 0-star answer (the worst) is reported as 1 rather than rejected.
--   (GLPI 11 adds a configurable maximum, entity inquest_max_rate: rescale
--   there.)
-- * type 2 (external survey, entity inquest_URL) rows only carry a score if
--   the external tool writes it back; they are read the same way.
-- * The row id is assigned when the survey is *sent*, not when it is
--   answered, so it is no watermark for answers: re-read by responded_at.
-- * Timestamps: see tickets.sql (UTC via UNIX_TIMESTAMP of the timestamp
--   column).
SELECT s.id AS id,
       s.tickets_id AS ticket_id,
       DATE_ADD(TIMESTAMP '1970-01-01 00:00:00', INTERVAL UNIX_TIMESTAMP(s.date_answered) SECOND) AS responded_at,
       'csat' AS kind,
       GREATEST(s.satisfaction, 1) AS score,
       NULLIF(s.comment, '') AS comment
  FROM glpi_ticketsatisfactions s
 WHERE s.date_answered IS NOT NULL
   AND s.satisfaction IS NOT NULL
