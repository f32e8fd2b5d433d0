-- support_tickets from Znuny (OTRS 6 line: 6.x, 7.x), MariaDB/MySQL and PostgreSQL
-- (one text for both: only CASE, COALESCE, NULLIF, LOWER, LIKE and subqueries).
-- * status maps the state's TYPE (ticket_state_type: new, open, pending reminder,
--   pending auto, closed, removed, merged), so renamed or added states keep their
--   meaning: closed ("closed successful" and "closed unsuccessful") is a solve --
--   a follow-up reopens it (PostMaster/FollowUp.pm) -- merged and removed are
--   deleted, both pending types are pending. A ticket sitting in the installer's
--   'Junk' queue ("All junk tickets.") is spam.
-- * priority maps the names (1 very low, 2 low -> low; 3 normal; 4 high; 5 very high
--   -> urgent) and any renamed priority by the words low/high/urgent/critical in it.
-- * channel is the communication channel of the ticket's first article (Email,
--   Phone, Chat; Web = the Znuny 7 customer interface; Internal -- the customer
--   interface before the Web channel, notes, API -- and anything else -> web).
-- * category: the ticket's service when it has one (Znuny's catalogue of what the
--   request is about, e.g. 'Email::Outlook'), else its type unless that is the
--   installer's default 'Unclassified' (Ticket::Type::Default, set on every ticket
--   when types are not in use).
-- * requester_id: the customer user (login) of the ticket, else its customer id.
-- * created_by: 'agent' when an agent wrote the first article (outbound email
--   ticket, AgentTicketEmail); a phone ticket logs the customer's call with sender
--   'customer' (AgentTicketPhone) and counts as the customer's. A ticket without
--   articles is the agent's when an agent (user id <> 1) created it.
--   "First article" ignores articles merged in from older tickets (created before
--   this ticket).
-- * updated_at: ticket.change_time, bumped by every ticket change and, through the
--   escalation index rebuilt on ArticleCreate, by new articles on open tickets (a
--   note on a closed ticket may not bump it: updated_at is a hint, events decide).
-- Times: DATETIME / timestamp(0) without zone, in Znuny's OTRSTimeZone (default
-- UTC). If OTRSTimeZone is not UTC, convert every timestamp column: MySQL
-- CONVERT_TZ(col, 'Europe/Berlin', '+00:00'), PostgreSQL col AT TIME ZONE 'Europe/Berlin'.
SELECT t.id AS id,
       t.create_time AS created_at,
       CASE LOWER(cc.name)
         WHEN 'email' THEN 'email'
         WHEN 'phone' THEN 'phone'
         WHEN 'chat' THEN 'chat'
         WHEN 'sms' THEN 'sms'
         ELSE 'web'
       END AS channel,
       CASE
         WHEN LOWER(p.name) LIKE '%very high%' OR LOWER(p.name) LIKE '%urgent%'
           OR LOWER(p.name) LIKE '%critical%' THEN 'urgent'
         WHEN LOWER(p.name) LIKE '%high%' THEN 'high'
         WHEN LOWER(p.name) LIKE '%low%' THEN 'low'
         ELSE 'normal'
       END AS priority,
       COALESCE(sv.name, NULLIF(tt.name, 'Unclassified')) AS category,
       COALESCE(t.customer_user_id, t.customer_id) AS requester_id,
       CASE
         WHEN snd.name = 'agent' THEN 'agent'
         WHEN snd.name IS NULL AND t.create_by <> 1 THEN 'agent'
         ELSE 'customer'
       END AS created_by,
       CASE
         WHEN st.name IN ('merged', 'removed') THEN 'deleted'
         WHEN q.name = 'Junk' THEN 'spam'
         WHEN st.name = 'new' THEN 'new'
         WHEN st.name = 'closed' THEN 'solved'
         WHEN st.name LIKE 'pending%' THEN 'pending'
         ELSE 'open'
       END AS status,
       t.change_time AS updated_at
  FROM ticket t
  JOIN ticket_state s ON s.id = t.ticket_state_id
  JOIN ticket_state_type st ON st.id = s.type_id
  JOIN ticket_priority p ON p.id = t.ticket_priority_id
  JOIN queue q ON q.id = t.queue_id
  LEFT JOIN ticket_type tt ON tt.id = t.type_id
  LEFT JOIN service sv ON sv.id = t.service_id
  LEFT JOIN article fa ON fa.id = (SELECT MIN(a1.id)
                                     FROM article a1
                                    WHERE a1.ticket_id = t.id
                                      AND a1.create_time >= t.create_time)
  LEFT JOIN article_sender_type snd ON snd.id = fa.article_sender_type_id
  LEFT JOIN communication_channel cc ON cc.id = fa.communication_channel_id
